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
from portail.accounts.models import User
from portail.clients import services as clients_services
from portail.notifications.models import EmailStatus, OutboundEmail
from portail.projects import services
from tests.conftest import World

PERSONAS = (
    "anonymous",
    "client",
    "outsider",  # employee of the portal, not on the project
    "employee",  # employee on the project
    "manager",
    "admin",
    "other_admin",  # admin of another portal
    "superuser",  # Django admin access, member of no portal
)
OK, SIGNIN, ADMIN_LOGIN, FORBIDDEN, MISSING, METHOD = (
    "ok",
    "signin",
    "admin-login",
    "forbidden",
    "missing",
    "method",
)


def _refusals(**refused: str) -> dict[str, str | None]:
    return {p: refused.get(p) for p in PERSONAS}


# Who is refused, and how, under each rule; a persona not named is allowed.
RULES: dict[str, dict[str, str | None]] = {
    "public": _refusals(),
    "signed_in": _refusals(anonymous=SIGNIN),
    "portal_member": _refusals(anonymous=SIGNIN, other_admin=MISSING, superuser=MISSING),
    "create_projects": _refusals(
        anonymous=SIGNIN,
        other_admin=MISSING,
        superuser=MISSING,
        client=FORBIDDEN,
        outsider=FORBIDDEN,
        employee=FORBIDDEN,
    ),
    "portal_admin": _refusals(
        anonymous=SIGNIN,
        other_admin=MISSING,
        superuser=MISSING,
        client=FORBIDDEN,
        outsider=FORBIDDEN,
        employee=FORBIDDEN,
        manager=FORBIDDEN,
    ),
    # Staff on the project, or admins and managers; a project one may not see is 404.
    "project_staff": _refusals(
        anonymous=SIGNIN,
        other_admin=MISSING,
        superuser=MISSING,
        client=MISSING,
        outsider=MISSING,
    ),
    "django_admin": {p: (None if p == "superuser" else ADMIN_LOGIN) for p in PERSONAS},
}

GET, POST = "GET", "POST"


@dataclass(frozen=True)
class Declared:
    rule: str
    methods: frozenset[str]
    # Outcomes that differ from the rule for one persona and method: {(persona, method): outcome}.
    exceptions: tuple[tuple[str, str, str], ...] = ()


def d(rule: str, *methods: str, exceptions: tuple[tuple[str, str, str], ...] = ()) -> Declared:
    return Declared(rule, frozenset(methods), exceptions)


PROJECT = "project_staff"
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
    "portals:dashboard": d("portal_member", GET),
    "projects:list": d("portal_member", GET),
    "projects:create": d("create_projects", GET, POST),
    "projects:detail": d(PROJECT, GET),
    "projects:edit": d(PROJECT, GET, POST),
    "projects:archive": d(PROJECT, POST),
    "projects:restore": d(PROJECT, POST),
    "projects:member-add": d(PROJECT, POST),
    "projects:member-remove": d(PROJECT, POST),
    "projects:milestone-create": d(PROJECT, GET, POST),
    "projects:milestone-edit": d(PROJECT, GET, POST),
    "projects:milestone-close": d(PROJECT, POST),
    "projects:milestone-reopen": d(PROJECT, POST),
    "projects:milestone-delete": d(PROJECT, POST),
    "projects:task-create": d(PROJECT, GET, POST),
    "projects:task-edit": d(PROJECT, GET, POST),
    "projects:task-done": d(PROJECT, POST),
    "projects:task-reopen": d(PROJECT, POST),
    "projects:task-delete": d(PROJECT, POST),
    "notifications:outbox": d("portal_admin", GET),
    "notifications:retry": d("portal_admin", POST),
    "audit:events": d("portal_admin", GET),
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
    # Tried with a made-up token: an unknown link is 404 for everyone. What a real link
    # shows each person is in tests/clients/test_invitation_views.py.
    "invitations:invitation-accept": d(
        "public",
        GET,
        POST,
        exceptions=tuple((p, m, MISSING) for p in PERSONAS for m in (GET, POST)),
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


@pytest.fixture
def matrix(world: World) -> Fixture:
    project = world.project
    milestone = services.milestone_create(project=project, title="Launch")
    task = services.task_create(project=project, title="Write copy", created_by=world.admin)
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
    company = clients_services.company_create(
        portal=world.portal, actor=world.admin.user, name="Bowman", projects=[project]
    )
    profile = access_services.client_profile_create(
        portal=world.portal, actor=world.admin.user, name="Reviewer"
    )
    superuser = User.objects.create_superuser("root@example.test", "a long password 9")
    slug = {"portal_slug": world.portal.slug}
    on_project = {**slug, "project_id": project.pk}
    kwargs: dict[str, dict[str, Any]] = {
        "accounts:password-reset-confirm": {"token": "not-a-real-token"},
        "portals:dashboard": slug,
        "projects:list": slug,
        "projects:create": slug,
        "projects:member-remove": {**on_project, "membership_id": world.employee.pk},
        "notifications:outbox": slug,
        "audit:events": slug,
        "access:profiles": slug,
        "access:profile-create": slug,
        "access:profile-permissions": {**slug, "profile_id": profile.pk},
        "access:profile-rename": {**slug, "profile_id": profile.pk},
        "access:profile-default": {**slug, "profile_id": profile.pk},
        "access:profile-delete": {**slug, "profile_id": profile.pk},
        "notifications:retry": {**slug, "email_id": email.pk},
        "clients:companies": slug,
        "clients:company-create": slug,
        "clients:company-edit": {**slug, "company_id": company.pk},
        "clients:company-delete": {**slug, "company_id": company.pk},
        "clients:company-users-add": {**slug, "company_id": company.pk},
        "clients:users": slug,
        "clients:user-add": slug,
        "clients:user-edit": {**slug, "membership_id": world.client.pk},
        "clients:user-remove": {**slug, "membership_id": world.client.pk},
        "invitation-admin:invitation-resend": {**slug, "membership_id": world.client.pk},
        "invitation-admin:invitation-revoke": {**slug, "membership_id": world.client.pk},
        "invitations:invitation-accept": {"token": "not-a-real-token"},
    }
    for name in DECLARED:
        if name.startswith("projects:") and name not in kwargs:
            extra: dict[str, Any] = {}
            if name.startswith("projects:milestone-") and name != "projects:milestone-create":
                extra["milestone_id"] = milestone.pk
            if name.startswith("projects:task-") and name != "projects:task-create":
                extra["task_id"] = task.pk
            kwargs[name] = {**on_project, **extra}
    clients = {"anonymous": Client()}
    members = {
        "client": world.client,
        "outsider": world.outsider,
        "employee": world.employee,
        "manager": world.manager,
        "admin": world.admin,
        "other_admin": world.other_admin,
    }
    for persona, membership in members.items():
        clients[persona] = world.client_for(membership)
    clients["superuser"] = Client()
    with zeal_ignore():
        clients["superuser"].force_login(superuser)
    return Fixture(world, kwargs, clients)


def outcome(response: HttpResponse) -> str:
    if response.status_code in (301, 302, 303):
        location = response["Location"]
        if location.startswith(reverse("accounts:signin")):
            return SIGNIN
        if location.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
        return OK
    return {403: FORBIDDEN, 404: MISSING, 405: METHOD}.get(response.status_code, OK)


def expected(declared: Declared, persona: str, method: str) -> str:
    for who, how, result in declared.exceptions:
        if who == persona and how == method:
            return result
    refusal = RULES[declared.rule][persona]
    if refusal is not None:
        return refusal
    return OK if method in declared.methods else METHOD


def attempt(client: Client, method: str, url: str) -> str:
    cookies = copy.deepcopy(client.cookies)  # signing out must not sign out the next try
    with transaction.atomic():
        response = client.get(url) if method == GET else client.post(url, {})
        transaction.set_rollback(True)
    client.cookies = cookies
    return outcome(response)


def test_authorization_matrix(matrix: Fixture) -> None:
    """Every declared URL, every persona, GET and POST: the outcome its rule says."""
    mismatches = []
    for name, declared in DECLARED.items():
        url = reverse(name, kwargs=matrix.kwargs.get(name, {}))
        for persona in PERSONAS:
            for method in (GET, POST):
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
