"""The authorization matrix: every URL of the product, tried by every persona.

Each URL name declares its rule below. A URL without a declaration fails
`test_every_url_declares_its_rule`, so a new page cannot ship without saying
who may use it. Each (URL, persona, method) is tried inside a savepoint that
is rolled back, so one persona's POST does not change what the next one sees.

Outcomes are compared as words: "ok" (the view ran: 2xx, or a redirect that
is not to sign-in), "signin" (sent to sign in), "admin-login", "forbidden"
(403), "missing" (404), "method" (405).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib import admin
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from zeal import zeal_ignore

from portail.access import services as access_services
from portail.access.catalogue import (
    BUILTIN_CLIENT_PERMISSIONS,
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
from portail.access.models import PermissionOverride
from portail.accounts.models import User
from portail.clients import companies, project_clients
from portail.clients.models import ClientCompany
from portail.notifications.models import EmailStatus, OutboundEmail
from portail.portals.models import Membership
from portail.projects import services
from portail.projects.models import Milestone, Project, ProjectMember, Task
from tests.conftest import World, make_member

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
BUILTIN = dict(BUILTIN_CLIENT_PERMISSIONS)
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
    "accounts:password-reset": d("public", GET, POST),
    "accounts:password-reset-confirm": d("public", GET, POST),
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
    undeclared = sorted(set(names) - set(DECLARED))
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


@pytest.fixture
def matrix(world: World) -> Fixture:
    project = world.project
    milestone = services.milestone_create(project=project, title="Launch")
    task = services.task_create(project=project, title="Write copy", created_by=world.admin)
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
    profile = access_services.client_profile_create(
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


ITEM_MODULES = {"milestone": "milestones", "task": "tasks"}


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
        and stored.get(f"{ITEM_MODULES[declared.item]}.view", "none") != "all"
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


def attempt(client: Client, method: str, url: str) -> str:
    cookies = copy.deepcopy(client.cookies)  # signing out must not sign out the next try
    with transaction.atomic():
        response = client.post(url, {}) if method == POST else client.generic(method, url)
        transaction.set_rollback(True)
    client.cookies = cookies
    return outcome(response)


def test_authorization_matrix(matrix: Fixture) -> None:
    """Every declared URL, every persona, every HTTP method: the outcome its rule says
    (a method the view does not take is refused, 405, once the person may be there)."""
    mismatches = []
    for name, declared in DECLARED.items():
        url = reverse(name, kwargs=matrix.kwargs[name])
        for persona in PERSONAS:
            for method in METHODS:
                with zeal_ignore():  # many unrelated requests in one test are not an N+1
                    got = attempt(matrix.clients[persona], method, url)
                want = expected(declared, persona, method)
                if got != want:
                    mismatches.append(f"{method} {name} as {persona}: {got}, expected {want}")
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
                got = attempt(matrix.clients[persona], GET, url)
            want = expected(DJANGO_ADMIN, persona, GET)
            if got != want:
                mismatches.append(f"GET {url} as {persona}: {got}, expected {want}")
    assert not mismatches, "\n".join(mismatches)
