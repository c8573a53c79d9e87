"""The authorization matrix: every URL of the product, tried by every persona.

Each URL name declares its rule below, once for the whole product. A URL without
a declaration fails `test_every_url_declares_its_rule`, so a new page cannot ship
without saying who may use it. Each (URL, persona, method) is tried inside a
savepoint that is rolled back, so one persona's POST does not change what the next
one sees; a try that is refused must not have written anything (sessions aside),
and a portal page a person may open answers 200.

Outcomes are compared as words: "ok" (the view ran: 2xx, or a redirect that
is not to sign-in), "signin" (sent to sign in), "admin-login", "forbidden"
(403), "missing" (404), "method" (405).

Beside the matrix: the permission each view declares agrees with its rule, the
ids in a URL are looked up within its portal and its project (another portal's,
or another project's, are 404 and change nothing), and what the project list
shows each persona.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib import admin
from django.db import connection, transaction
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from zeal import zeal_ignore

from portail.access import profiles
from portail.access.catalogue import builtin_client_permissions, codes
from portail.access.models import PermissionOverride
from portail.accounts.models import User
from portail.clients import companies, project_clients
from portail.clients.models import ClientCompany
from portail.notifications.models import EmailStatus, OutboundEmail
from portail.portals.models import Membership
from portail.projects import plans, services
from portail.projects.models import Milestone, Project, ProjectMember, Task
from portail.projects.permissions import (
    CREATE_PROJECTS,
    MILESTONES_ADD,
    MILESTONES_DELETE,
    MILESTONES_EDIT,
    MILESTONES_VIEW,
    PROJECT_VIEW,
    TASKS_ADD,
    TASKS_DELETE,
    TASKS_EDIT,
    TASKS_VIEW,
)
from portail.registry import registry
from tests.conftest import World, make_member, make_project

PERSONAS = (
    "anonymous",
    "client",  # client user on the project, with the portal's default (built-in) profile
    "client_granted",  # on the project, customised to get what the profile lacks
    "client_restricted",  # on the project, customised to lose what the profile gives
    "client_off_project",  # same company, not on the project
    "client_other_company",  # another client company of the same project, default profile
    "outsider",  # employee of the portal, not on the project
    "employee",  # employee on the project
    "manager",
    "admin",
    "other_admin",  # admin of another portal
    "superuser",  # Django admin access, member of no portal
)
CLIENTS = tuple(p for p in PERSONAS if p.startswith("client"))
OK, SIGNIN, ADMIN_LOGIN, FORBIDDEN, MISSING, METHOD = (
    "ok",
    "signin",
    "admin-login",
    "forbidden",
    "missing",
    "method",
)

# What each client persona may do in the project: the stored sets the fixture gives them
# (profile, or customisation), written out here rather than asked of `access`, so the
# matrix checks the code against an independent statement of the rules.
BUILTIN = dict(builtin_client_permissions())
CLIENT_SETS: dict[str, dict[str, str]] = {
    "client": BUILTIN,
    "client_granted": {
        **BUILTIN,
        MILESTONES_ADD: "all",
        MILESTONES_EDIT: "all",
        TASKS_EDIT: "all",
        TASKS_DELETE: "all",
    },
    "client_restricted": {
        PROJECT_VIEW: "all",
        MILESTONES_VIEW: "all",
        TASKS_VIEW: "all",
        TASKS_ADD: "none",
        TASKS_EDIT: "none",
        TASKS_DELETE: "none",
    },
    "client_other_company": BUILTIN,
}


def _refusals(**refused: str) -> dict[str, str | None]:
    return {p: refused.get(p) for p in PERSONAS}


def _clients(outcome: str) -> dict[str, str]:
    return dict.fromkeys(CLIENTS, outcome)


# Who is refused, and how, under each rule; a persona not named is allowed.
RULES: dict[str, dict[str, str | None]] = {
    "public": _refusals(),
    "signed_in": _refusals(anonymous=SIGNIN),
    "portal_member": _refusals(anonymous=SIGNIN, other_admin=MISSING, superuser=MISSING),
    "create_projects": _refusals(
        anonymous=SIGNIN,
        other_admin=MISSING,
        superuser=MISSING,
        outsider=FORBIDDEN,
        employee=FORBIDDEN,
        **_clients(FORBIDDEN),
    ),
    "portal_admin": _refusals(
        anonymous=SIGNIN,
        other_admin=MISSING,
        superuser=MISSING,
        outsider=FORBIDDEN,
        employee=FORBIDDEN,
        manager=FORBIDDEN,
        **_clients(FORBIDDEN),
    ),
    # Staff pages of a project: staff on it, or admins and managers; anyone else 404.
    "project_staff": _refusals(
        anonymous=SIGNIN,
        other_admin=MISSING,
        superuser=MISSING,
        outsider=MISSING,
        **_clients(MISSING),
    ),
    "django_admin": {p: (None if p == "superuser" else ADMIN_LOGIN) for p in PERSONAS},
}

GET, POST = "GET", "POST"
HEAD = "HEAD"
# Every method a client can send; views take GET (and so HEAD) and POST at most.
METHODS = (GET, HEAD, POST, "PUT", "PATCH", "DELETE", "OPTIONS")


@dataclass(frozen=True)
class Declared:
    rule: str
    methods: frozenset[str]
    # Outcomes that differ from the rule for one persona and method: {(persona, method): outcome}.
    exceptions: tuple[tuple[str, str, str], ...] = ()
    # For project pages open to client users: the catalogue code the page needs, and the
    # item it acts on ("milestone", "task"), which the matrix's client personas did not add.
    code: str | None = None
    item: str | None = None


def d(rule: str, *methods: str, exceptions: tuple[tuple[str, str, str], ...] = ()) -> Declared:
    return Declared(rule, frozenset(methods), exceptions)


def p(code: str, *methods: str, item: str | None = None) -> Declared:
    """A project page staff on the project may use, and client users per their permissions."""
    return Declared("project", frozenset(methods), code=code, item=item)


STAFF = "project_staff"
DECLARED: dict[str, Declared] = {
    "home": d("signed_in", GET),
    "portal-picker": d("signed_in", GET),
    "accounts:signin": d("public", GET, POST),
    # Signing out needs no session, and always lands on the sign-in page.
    "accounts:signout": d("public", POST, exceptions=tuple((p, POST, SIGNIN) for p in PERSONAS)),
    "recovery:password-reset": d("public", GET, POST),
    "recovery:password-reset-confirm": d("public", GET, POST),
    "accounts:password-change": d("signed_in", GET, POST),
    "accounts:preferences": d("signed_in", GET, POST),
    # The sign-in's code step, without a pending sign-in (a right password just before),
    # sends everyone to sign in. The step itself: tests/accounts/test_two_factor.py.
    "accounts:signin-code": d(
        "public",
        GET,
        POST,
        exceptions=tuple((p, m, SIGNIN) for p in PERSONAS for m in (GET, HEAD, POST)),
    ),
    # The Django admin's sign-in page goes to Portail's (whose second step it would skip).
    "admin-signin": d(
        "public",
        GET,
        exceptions=(
            *((p, m, SIGNIN) for p in ("anonymous",) for m in (GET, HEAD)),
            *((p, m, FORBIDDEN) for p in PERSONAS[1:-1] for m in (GET, HEAD)),
        ),
    ),
    "accounts:two-factor": d("signed_in", GET),
    "accounts:two-factor-setup": d("signed_in", GET, POST),
    "accounts:two-factor-verify": d("signed_in", GET, POST),
    "accounts:two-factor-recovery-codes": d("signed_in", GET, POST),
    "accounts:two-factor-disable": d("signed_in", GET, POST),
    "portals:dashboard": d("portal_member", GET),
    "projects:list": d("portal_member", GET),
    "projects:create": d("create_projects", GET, POST),
    "projects:detail": p(PROJECT_VIEW, GET),
    "projects:edit": d(STAFF, GET, POST),
    "projects:archive": d(STAFF, POST),
    "projects:restore": d(STAFF, POST),
    "projects:staff": d(STAFF, GET),
    "projects:view-as": d(STAFF, GET),
    "projects:member-add": d(STAFF, POST),
    "projects:member-remove": d(STAFF, POST),
    "projects:milestone-create": p(MILESTONES_ADD, GET, POST),
    "projects:milestone-edit": p(MILESTONES_EDIT, GET, POST, item="milestone"),
    "projects:milestone-close": p(MILESTONES_EDIT, POST, item="milestone"),
    "projects:milestone-reopen": p(MILESTONES_EDIT, POST, item="milestone"),
    "projects:milestone-delete": p(MILESTONES_DELETE, POST, item="milestone"),
    "projects:task-create": p(TASKS_ADD, GET, POST),
    "projects:task-edit": p(TASKS_EDIT, GET, POST, item="task"),
    "projects:task-done": p(TASKS_EDIT, POST, item="task"),
    "projects:task-reopen": p(TASKS_EDIT, POST, item="task"),
    "projects:task-delete": p(TASKS_DELETE, POST, item="task"),
    "project-clients:list": d(STAFF, GET),
    "project-clients:company-add": d(STAFF, GET, POST),
    "project-clients:company-primary": d(STAFF, POST),
    "project-clients:company-remove": d(STAFF, GET, POST),
    "project-clients:users-add": d(STAFF, GET, POST),
    "project-clients:user-edit": d(STAFF, GET, POST),
    "project-clients:user-remove": d(STAFF, GET, POST),
    "member-permissions:show": d(STAFF, GET),
    "member-permissions:edit": d(STAFF, GET, POST),
    "member-permissions:clone": d(STAFF, GET, POST),
    "member-permissions:reset": d(STAFF, POST),
    "notifications:outbox": d("portal_admin", GET),
    "notifications:retry": d("portal_admin", POST),
    "audit:events": d("portal_admin", GET),
    "portal-settings:security": d("portal_admin", GET, POST),
    "access:profiles": d("portal_admin", GET),
    "access:profile-create": d("portal_admin", GET, POST),
    "access:profile-permissions": d("portal_admin", GET, POST),
    "access:profile-rename": d("portal_admin", GET, POST),
    "access:profile-default": d("portal_admin", POST),
    "access:profile-delete": d("portal_admin", GET, POST),
    "clients:companies": d("portal_admin", GET),
    "clients:company-create": d("portal_admin", GET, POST),
    "clients:company-edit": d("portal_admin", GET, POST),
    "clients:company-delete": d("portal_admin", GET, POST),
    "clients:company-users-add": d("portal_admin", GET, POST),
    "clients:users": d("portal_admin", GET),
    "clients:user-add": d("portal_admin", GET, POST),
    "clients:user-edit": d("portal_admin", GET, POST),
    "clients:user-remove": d("portal_admin", GET, POST),
    "invitation-admin:invitation-resend": d("portal_admin", POST),
    "invitation-admin:invitation-revoke": d("portal_admin", POST),
    "lockout:people": d("portal_admin", GET),
    "lockout:unlock": d("portal_admin", POST),
    # Tried with a made-up token: an unknown link is 404 for everyone. What a real link
    # shows each person is in tests/clients/test_invitation_views.py.
    "invitations:invitation-accept": d(
        "public",
        GET,
        POST,
        exceptions=tuple((p, m, MISSING) for p in PERSONAS for m in (GET, HEAD, POST)),
    ),
}
# The Django admin is declared as a whole: superusers only, every page of it.
DJANGO_ADMIN = d("django_admin", GET)


def view_methods(view: Callable[..., Any]) -> frozenset[str]:
    """The methods a view takes, read off Django's `require_http_methods` (require_safe,
    require_POST, ...) in its chain of decorators; HEAD comes with GET by itself."""
    while view is not None:
        code = getattr(view, "__code__", None)
        if code is not None and "request_method_list" in code.co_freevars:
            cell = view.__closure__[code.co_freevars.index("request_method_list")]  # type: ignore[index]
            return frozenset(cell.cell_contents) - {HEAD}
        view = getattr(view, "__wrapped__", None)  # type: ignore[assignment]
    return frozenset(METHODS) - {HEAD}


def module_pages() -> dict[str, URLPattern]:
    """The pages of the project modules that declare their own (registry.py, `urls`): the
    matrix states their rule from the view itself, so a new module needs no line here."""
    keys = {module.key for module in registry.all_modules() if module.urls}
    return {name: pattern for name, pattern in _walk(get_resolver()) if name.split(":")[0] in keys}


def declaration(name: str) -> Declared:
    """The rule of a URL: stated in DECLARED, or, for a module's own page, read off its
    view: staff on the project may use it, client users per the code it needs."""
    if name in DECLARED:
        return DECLARED[name]
    view = module_pages()[name].callback
    return Declared("project", view_methods(view), code=view.required_permission, item=view.item)


def _walk(resolver: URLResolver, namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            inner = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            if inner == "admin":
                continue  # declared as a whole, tried page by page below
            yield from _walk(entry, inner)
        else:
            name = f"{namespace}:{entry.name}" if namespace else str(entry.name)
            yield name, entry


def product_urls() -> list[str]:
    return [name for name, _pattern in _walk(get_resolver())]


def test_every_url_declares_its_rule() -> None:
    names = product_urls()
    assert "None" not in names, "every URL pattern needs a name"
    undeclared = sorted(set(names) - set(DECLARED) - set(module_pages()))
    assert not undeclared, f"declare an access rule for: {undeclared}"
    stale = sorted(set(DECLARED) - set(names))
    assert not stale, f"declared but gone: {stale}"


def test_every_portal_view_declares_its_permission_on_the_view() -> None:
    """Views under /p/<slug>/ carry the decorator that says what they need (STYLE.md 5)."""
    missing = [
        name
        for name, pattern in _walk(get_resolver())
        if "<slug:portal_slug>" in str(pattern.pattern) or name.startswith(("projects:", "notif"))
        if not hasattr(pattern.callback, "required_permission")
    ]
    assert not missing, missing


def test_each_view_declares_the_permission_its_rule_says() -> None:
    """What a view declares (STYLE.md 5) agrees with its rule here: nothing for pages open
    to every member (a list is filtered instead), a portal action for portal-level rules,
    a catalogue code for project pages: for pages open to clients, the code stated here."""
    portal_actions = set(registry.portal_actions)
    wrong = []
    for name, pattern in _walk(get_resolver()):
        if not hasattr(pattern.callback, "required_permission"):
            continue
        declared, permission = declaration(name), pattern.callback.required_permission
        fits = {
            "portal_member": permission is None,
            "create_projects": permission == CREATE_PROJECTS,
            "portal_admin": permission in portal_actions - {CREATE_PROJECTS},
            STAFF: permission in codes(),
            "project": permission == declared.code,
        }.get(declared.rule, False)
        if not fits:
            wrong.append(f"{name}: {permission!r} under rule {declared.rule}")
    assert not wrong, wrong
    assert DECLARED["projects:list"].rule == "portal_member"


def test_project_urls_are_under_the_portal_address() -> None:
    match = get_resolver().resolve("/p/acme/projects/1/tasks/2/done/")
    assert match.url_name == "task-done"
    assert match.kwargs == {"portal_slug": "acme", "project_id": 1, "task_id": 2}


@dataclass
class Fixture:
    world: World
    kwargs: dict[str, dict[str, Any]]
    clients: dict[str, Client]


def _client_user(world: World, email: str, company: ClientCompany) -> Membership:
    membership = make_member(world.portal, email, "client", email.split("@")[0].title())
    membership.client_company = company
    membership.save(update_fields=["client_company"])
    return membership


def _on_project(membership: Membership, project: Project) -> ProjectMember:
    return ProjectMember.objects.create(
        portal_id=project.portal_id, project=project, membership=membership
    )


def module_rows(project: Project, creator: Membership, taken: set[str]) -> dict[str, int]:
    """A row of each module that declares its own pages and items, for its URLs' ids: shown
    to clients, added by staff (so `own` levels do not reach client personas). Required
    text fields get a sample value; the rest keep their defaults."""
    ids = {}
    for module in registry.all_modules():
        if not (module.urls and module.item) or module.item_kwarg in taken:
            continue
        values: dict[str, Any] = {"portal_id": project.portal_id, "project": project}
        if module.client_visible:
            values[module.client_visible] = True
        for field_name in module.own_fields:
            values[field_name] = creator
        for field in module.model._meta.concrete_fields:
            required = field.name not in values and not field.null and not field.has_default()
            if required and field.get_internal_type() in ("CharField", "TextField"):
                values[field.name] = "Sample"
        ids[module.item_kwarg] = module.model.objects.create(**values).pk
    return ids


@pytest.fixture
def matrix(world: World) -> Fixture:
    project = world.project
    milestone = plans.milestone_create(project=project, title="Launch")
    task = plans.task_create(project=project, title="Write copy", created_by=world.admin)
    # Shown to clients, and added by staff: `own` levels do not reach them.
    Milestone.objects.filter(pk=milestone.pk).update(client_visible=True)
    Task.objects.filter(pk=task.pk).update(client_visible=True)
    email = OutboundEmail.objects.create(
        portal=world.portal,
        kind="test",
        to="someone@example.test",
        subject="Hello",
        body_text="Hello",
        language="en",
        status=EmailStatus.FAILED,
        last_error="550 no such user",
    )
    assert world.client.client_company is not None
    bowman = world.client.client_company
    vasseur = companies.company_create(
        portal=world.portal, actor=world.admin.user, name="Vasseur", projects=[project]
    )
    project_clients.project_client_add(project=project, company=bowman, actor=None)
    profile = profiles.client_profile_create(
        portal=world.portal, actor=world.admin.user, name="Reviewer"
    )
    superuser = User.objects.create_superuser("root@example.test", "a long password 9")
    members = {
        "client": world.client,
        "client_granted": _client_user(world, "grace@bowman.test", bowman),
        "client_restricted": _client_user(world, "rita@bowman.test", bowman),
        "client_off_project": _client_user(world, "olivia@bowman.test", bowman),
        "client_other_company": _client_user(world, "claire@vasseur.test", vasseur),
        "outsider": world.outsider,
        "employee": world.employee,
        "manager": world.manager,
        "admin": world.admin,
        "other_admin": world.other_admin,
    }
    for persona in ("client", "client_granted", "client_restricted", "client_other_company"):
        member = _on_project(members[persona], project)
        if persona in ("client_granted", "client_restricted"):
            PermissionOverride.objects.create(
                portal=world.portal, member=member, permissions=CLIENT_SETS[persona]
            )
    # The id each URL keyword takes; a project page's person is the default-profile client
    # (the staff member list's is the employee).
    ids: dict[str, Any] = {
        "portal_slug": world.portal.slug,
        "project_id": project.pk,
        "milestone_id": milestone.pk,
        "task_id": task.pk,
        "company_id": bowman.pk,
        "membership_id": world.client.pk,
        "profile_id": profile.pk,
        "email_id": email.pk,
        "token": "not-a-real-token",
    }
    ids.update(module_rows(project, world.admin, set(ids)))
    kwargs: dict[str, dict[str, Any]] = {}
    for name, pattern in _walk(get_resolver()):
        route = str(pattern.pattern)
        prefix = _prefixes().get(name, "")
        wanted = [key for key in ids if f":{key}>" in prefix + route or f"<{key}>" in route]
        kwargs[name] = {key: ids[key] for key in wanted}
    kwargs["projects:member-remove"]["membership_id"] = world.employee.pk
    clients = {"anonymous": Client()}
    for persona, membership in members.items():
        clients[persona] = world.client_for(membership)
    clients["superuser"] = Client()
    with zeal_ignore():
        clients["superuser"].force_login(superuser)
    return Fixture(world, kwargs, clients)


def _prefixes() -> dict[str, str]:
    """Each URL name's full route, with the prefixes of the includes it sits in."""
    routes: dict[str, str] = {}

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                ns = entry.namespace or ""
                inner = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
                if inner == "admin":
                    continue
                walk(entry, prefix + str(entry.pattern), inner)
            else:
                name = f"{namespace}:{entry.name}" if namespace else str(entry.name)
                routes[name] = prefix + str(entry.pattern)

    walk(get_resolver(), "", "")
    return routes


def outcome(response: HttpResponse) -> str:
    if response.status_code in (301, 302, 303):
        location = response["Location"]
        if location.startswith(reverse("accounts:signin")):
            return SIGNIN
        if location.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
        return OK
    return {403: FORBIDDEN, 404: MISSING, 405: METHOD}.get(response.status_code, OK)


def client_refusal(declared: Declared, persona: str) -> str | None:
    """How a client persona is refused a project page, from its stated permission set.

    Not on the project, or no project view: 404. An item of a module they may not see
    (or see only their own of): 404. Their level for the code is none, or `own` on an
    item they did not add: 403.
    """
    stored = CLIENT_SETS.get(persona)
    if stored is None or stored.get(PROJECT_VIEW, "none") == "none":
        return MISSING
    assert declared.code is not None
    if (
        declared.item is not None
        and stored.get(f"{registry.item_module(declared.item).key}.view", "none") != "all"
    ):
        return MISSING
    level = stored.get(declared.code, "none")
    if level == "none" or (level == "own" and declared.item is not None):
        return FORBIDDEN
    return None


def expected(declared: Declared, persona: str, method: str) -> str:
    for who, how, result in declared.exceptions:
        if who == persona and how == method:
            return result
    if declared.rule == "project":
        refusal = RULES["project_staff"][persona]
        if persona in CLIENTS:
            refusal = client_refusal(declared, persona)
    else:
        refusal = RULES[declared.rule][persona]
    if refusal is not None:
        return refusal
    # HEAD is a GET without the body: a page that answers GET answers HEAD.
    allowed = declared.methods | ({HEAD} if GET in declared.methods else set())
    return OK if method in allowed else METHOD


WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


@dataclass(frozen=True)
class Tried:
    outcome: str
    status: int
    wrote: tuple[str, ...]  # the tables the request wrote to, sessions aside


def attempt(client: Client, method: str, url: str) -> Tried:
    cookies = copy.deepcopy(client.cookies)  # signing out must not sign out the next try
    wrote: list[str] = []

    def record(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        write = WRITE.match(sql)
        if write and not write.group(1).endswith("session"):
            wrote.append(write.group(1))
        return execute(sql, *args)

    with transaction.atomic(), connection.execute_wrapper(record):
        response = client.post(url, {}) if method == POST else client.generic(method, url)
        transaction.set_rollback(True)
    client.cookies = cookies
    return Tried(outcome(response), response.status_code, tuple(wrote))


# The portal's address sends each person on to where they work.
SENDS_ON = {"portals:dashboard"}


def _portal_get(name: str, method: str) -> bool:
    """A GET of a page under the portal's address (which, when allowed, answers 200)."""
    return method == GET and "<slug:portal_slug>" in _prefixes()[name] and name not in SENDS_ON


def test_cx2_pe1_pe2_authorization_matrix(matrix: Fixture) -> None:
    """Every declared URL, every persona, every HTTP method: the outcome its rule says
    (a method the view does not take is refused, 405, once the person may be there).
    A refused try writes nothing; a portal page someone may open answers 200.

    Client personas get what their profile gives (PE1) or their customisation in the
    project says (PE2); what they may not do is refused, 403 or 404 (CX2)."""
    mismatches = []
    for name in [*DECLARED, *module_pages()]:
        declared = declaration(name)
        url = reverse(name, kwargs=matrix.kwargs[name])
        for persona in PERSONAS:
            for method in METHODS:
                with zeal_ignore():  # many unrelated requests in one test are not an N+1
                    got = attempt(matrix.clients[persona], method, url)
                want = expected(declared, persona, method)
                where = f"{method} {name} as {persona}"
                if got.outcome != want:
                    mismatches.append(f"{where}: {got.outcome}, expected {want}")
                # Signing out is done, not refused (axes logs when the session ended).
                elif want != OK and got.wrote and name != "accounts:signout":
                    mismatches.append(f"{where}: {want}, but it wrote to {got.wrote}")
                elif want == OK == got.outcome and got.status != 200 and _portal_get(name, method):
                    mismatches.append(f"{where}: {got.status}, expected 200")
    assert not mismatches, "\n".join(mismatches)


def admin_urls() -> list[str]:
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    return urls


def test_django_admin_is_for_superusers_only(matrix: Fixture) -> None:
    mismatches = []
    for url in admin_urls():
        for persona in PERSONAS:
            with zeal_ignore():
                got = attempt(matrix.clients[persona], GET, url).outcome
            want = expected(DJANGO_ADMIN, persona, GET)
            if got != want:
                mismatches.append(f"GET {url} as {persona}: {got}, expected {want}")
    assert not mismatches, "\n".join(mismatches)


# Ids are looked up within the portal and the project of the URL ---------------------------
#
# The matrix's other_admin persona tries this portal's URLs as the admin of another one;
# here this portal's admin types another portal's ids (or another project's) under this
# portal's address.

ID_KEYWORDS = ("project_id", "milestone_id", "task_id", "company_id", "membership_id")


@dataclass
class Elsewhere:
    # Portal B's row for each id keyword a URL takes (portal B's own pages are not tried).
    other_portal: dict[str, int]
    # A second project of this portal: no members but its owner, no clients.
    other_project: Project


@pytest.fixture
def elsewhere(matrix: Fixture) -> Elsewhere:
    world = matrix.world
    theirs = world.other_project
    owner = world.other_admin
    company = companies.company_create(
        portal=world.other_portal, actor=owner.user, name="Bowman", projects=[theirs]
    )
    carla = make_member(world.other_portal, "carla@their-client.test", "client", "Carla Client")
    carla.client_company = company
    carla.save(update_fields=["client_company"])
    _on_project(carla, theirs)
    email = OutboundEmail.objects.create(
        portal=world.other_portal,
        kind="test",
        to="someone@example.test",
        subject="Hello",
        body_text="Hello",
        language="en",
        status=EmailStatus.FAILED,
        last_error="550 no such user",
    )
    profile = profiles.client_profile_create(
        portal=world.other_portal, actor=owner.user, name="Reviewer"
    )
    ids = {
        "project_id": theirs.pk,
        "milestone_id": plans.milestone_create(project=theirs, title="Launch").pk,
        "task_id": plans.task_create(project=theirs, title="Write copy", created_by=owner).pk,
        "company_id": company.pk,
        "membership_id": carla.pk,
        "profile_id": profile.pk,
        "email_id": email.pk,
    }
    ids.update(module_rows(theirs, owner, set(ids)))
    second = make_project(world.portal, world.admin, "Second project")
    return Elsewhere(other_portal=ids, other_project=second)


def _tries(matrix: Fixture, urls: dict[str, str]) -> list[str]:
    """Each URL, GET and POST, as this portal's admin: what is not a 404 that wrote nothing.

    A method the page does not take may be refused first (405): that says nothing of the
    row either. Project pages look the project and its rows up first: 404 for both.
    """
    wrong = []
    for name, url in urls.items():
        for method in (GET, POST):
            with zeal_ignore():
                got = attempt(matrix.clients["admin"], method, url)
            refusals = {404}
            gate_first = name.startswith("projects:") or name in module_pages()
            if method not in declaration(name).methods and not gate_first:
                refusals.add(405)
            if got.status not in refusals or got.wrote:
                wrong.append(f"{method} {name}: {got.status}, wrote to {got.wrote}")
    return wrong


def test_another_portals_ids_under_this_portal_address_are_404(
    matrix: Fixture, elsewhere: Elsewhere
) -> None:
    """Every URL that takes ids, with portal B's ids typed under portal A's address, as
    portal A's admin: 404 (never 403, which would say the row exists), and nothing written."""
    urls = {}
    for name, kwargs in matrix.kwargs.items():
        foreign = {
            key: elsewhere.other_portal[key] for key in kwargs if key in elsewhere.other_portal
        }
        if foreign:
            urls[name] = reverse(name, kwargs={**kwargs, **foreign})
    assert {"projects:task-done", "clients:company-edit", "access:profile-rename"} <= set(urls)
    assert not _tries(matrix, urls)


# Adding people of a company that is not a client of the project sends staff back to the
# project's clients, saying to add the company first (PC6): not a lookup of the company
# within the project. Its lookup within the portal is proved above.
NOT_LOOKED_UP_IN_THE_PROJECT = {"project-clients:users-add"}


def test_ids_of_another_project_of_the_portal_are_404(
    matrix: Fixture, elsewhere: Elsewhere
) -> None:
    """A milestone, a task, a person or a client company of project 1 under project 2's
    address: 404, and nothing written; ids are looked up within the project of the URL."""
    module_items = {m.item_kwarg for m in registry.all_modules() if m.urls and m.item}
    urls = {
        name: reverse(name, kwargs={**kwargs, "project_id": elsewhere.other_project.pk})
        for name, kwargs in matrix.kwargs.items()
        if "project_id" in kwargs
        and {"milestone_id", "task_id", "membership_id", "company_id", *module_items} & set(kwargs)
        and name not in NOT_LOOKED_UP_IN_THE_PROJECT
    }
    assert {"projects:view-as", "projects:member-remove", "projects:task-done"} <= set(urls)
    module_item_pages = [name for name in module_pages() if set(matrix.kwargs[name]) & module_items]
    assert len(urls) == 18 + len(module_item_pages)
    assert not _tries(matrix, urls)


# What the project list shows: every project of the portal to admins and managers, their own
# to employees, none to a client user on none (tests/projects/test_client_view.py: on some).


def test_list_shows_admins_and_managers_every_project_employees_only_theirs(world: World) -> None:
    extra = make_project(world.portal, world.manager, "Brochure")
    list_url = resolve_url("projects:list", portal_slug="acme")

    def names(membership: Membership) -> set[str]:
        response = world.client_for(membership).get(list_url)
        assert response.status_code == 200
        return {row.project.name for row in response.context["rows"]}

    assert names(world.admin) == {"Website", "Brochure"}
    assert names(world.manager) == {"Website", "Brochure"}
    assert names(world.employee) == {"Website"}
    assert names(world.outsider) == set()
    services.project_member_add(actor=None, project=extra, membership=world.outsider)
    assert names(world.outsider) == {"Brochure"}


def test_list_never_shows_another_portals_projects(world: World) -> None:
    response = world.client_for(world.admin).get(resolve_url("projects:list", portal_slug="acme"))
    assert b"Other website" not in response.content


def test_cx1_client_on_no_project_gets_a_friendly_empty_list(world: World) -> None:
    response = world.client_for(world.client).get(resolve_url("projects:list", portal_slug="acme"))
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert b"Nothing to show yet." in response.content
    assert b"Website" not in response.content


def test_employee_without_projects_sees_an_empty_state(world: World) -> None:
    response = world.client_for(world.outsider).get(
        resolve_url("projects:list", portal_slug="acme")
    )
    assert response.status_code == 200
    assert b"You are not on any current project." in response.content
    assert b"New project" not in response.content
