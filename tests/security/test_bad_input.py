"""Bad input never gets a 5xx (issue 10): every GET page of the product, as a portal admin
and as a client user, with query parameters holding a NUL byte, 10,000 characters, broken
UTF-8, numbers no column holds and names no page reads; and the main forms posted with NUL
bytes answer with a form error and write nothing.

The pages and the ids their URLs take come from the authorization matrix
(`tests/security/test_authorization.py`), so a new page is tried here too.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Model
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from zeal import zeal_ignore

from portail.accounts.models import User
from portail.audit.models import AuditEvent
from portail.clients.models import ClientCompany
from portail.notifications.models import OutboundEmail
from portail.portals.models import Membership
from portail.projects.models import Milestone, Task
from tests.security.test_authorization import (
    DECLARED,
    GET,
    OK,
    Fixture,
    expected,
)

PERSONAS = ("admin", "client")

# The query parameters pages read; each page is also tried with each of its own alone
# (below), so one parameter a page rejects first cannot hide another.
KNOWN = (
    "q",
    "page",
    "status",
    "milestone",
    "company",
    "clone_of",
    "next",
    "actor",
    "action",
    "since",
    "until",
)
UNKNOWN = "zz_unknown"
READS: dict[str, tuple[str, ...]] = {
    "projects:list": ("status", "page"),
    "projects:task-create": ("milestone",),
    "notifications:outbox": ("status", "page"),
    "audit:events": ("page", "actor", "action", "since", "until"),
    "clients:companies": ("q", "page"),
    "clients:users": ("q", "page"),
    "clients:user-add": ("company",),
    "project-clients:users-add": ("q",),
    "access:profile-create": ("clone_of",),
}


@dataclass(frozen=True)
class Bad:
    """A bad value, as raw query-string text (already percent-escaped where it should be)."""

    label: str
    raw: str


BAD_VALUES = (
    Bad("nul-escaped", "%00"),
    Bad("nul-raw", "\x00"),
    Bad("nul-in-text", "a%00b"),
    Bad("10000-chars", "a" * 10_000),
    Bad("10000-digits", "9" * 10_000),
    Bad("invalid-utf8-ff-fe", "%ff%fe"),
    Bad("invalid-utf8-c3-28", "%c3%28"),
    Bad("beyond-bigint", "99999999999999999999"),
    Bad("negative", "-1"),
    Bad("superscript-digit", "%C2%B2"),  # "²": str.isdigit() says yes, int() says no
)

GET_PAGES = sorted(name for name, declared in DECLARED.items() if GET in declared.methods)


def _everything_at_once() -> str:
    """Every bad value in one query string: under each parameter name pages read (in turn)
    and under names no page reads."""
    known = [f"{key}={BAD_VALUES[i % len(BAD_VALUES)].raw}" for i, key in enumerate(KNOWN)]
    unknown = [f"{UNKNOWN}_{bad.label.replace('-', '_')}={bad.raw}" for bad in BAD_VALUES]
    return "&".join(known + unknown)


def _tries(name: str, persona: str) -> list[tuple[str, str]]:
    """(What is tried, query string): everything at once, then each value under each
    parameter the page reads, alone, where the persona may see the page at all."""
    tries = [("every bad value at once", _everything_at_once())]
    if expected(DECLARED[name], persona, GET) == OK:
        tries += [
            (f"{bad.label} in {key}", f"{key}={bad.raw}")
            for key in READS.get(name, ())
            for bad in BAD_VALUES
        ]
    return tries


def _get(client: Client, path: str, query: str) -> HttpResponse | Exception:
    """One GET, rolled back, that reports an exception rather than raising it (a broken
    PostgreSQL transaction must not spoil the next try)."""
    cookies = copy.deepcopy(client.cookies)
    try:
        with zeal_ignore(), transaction.atomic():
            response: HttpResponse = client.get(path, QUERY_STRING=query)
            transaction.set_rollback(True)
    except Exception as error:  # what would have been a 500
        return error
    finally:
        client.cookies = cookies
    return response


def test_every_page_with_query_parameters_is_listed() -> None:
    """The parameters each page reads are named above, so each is tried on its own."""
    assert set(READS) <= set(GET_PAGES)
    assert all(set(keys) <= set(KNOWN) for keys in READS.values())


@pytest.mark.parametrize("name", GET_PAGES)
def test_bad_query_parameters_never_give_a_server_error(
    matrix: Fixture,
    name: str,
) -> None:
    """One test per page (the `matrix` fixture, from conftest, is costly); each failure
    names the input and the persona."""
    path = reverse(name, kwargs=matrix.kwargs[name])
    failures = []
    for persona in PERSONAS:
        for what, query in _tries(name, persona):
            got = _get(matrix.clients[persona], path, query)
            if isinstance(got, Exception):
                failures.append(f"{what}, as {persona}: {type(got).__name__}: {got}"[:300])
            elif got.status_code >= 500:
                failures.append(f"{what}, as {persona}: {got.status_code}")
    assert not failures, "\n".join(failures)


# Forms posted with NUL bytes: a form error, nothing written ------------------------------

NUL = "bad\x00value"
COUNTED: tuple[type[Model], ...] = (
    AuditEvent,
    ClientCompany,
    Membership,
    Milestone,
    OutboundEmail,
    Task,
    User,
)


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def _post_is_refused(client: Client, path: str, data: dict[str, Any]) -> None:
    before = _counts()
    with zeal_ignore():
        response = client.post(path, data)
    assert response.status_code < 500
    if response.status_code == 200:
        form = response.context["form"]
        assert form.errors, "a 200 answer to a NUL byte must show the form's error"
    else:
        assert 400 <= response.status_code < 500, response.status_code
    assert _counts() == before, "nothing is written"


def _url(matrix: Fixture, name: str) -> str:
    return reverse(name, kwargs=matrix.kwargs[name])


@pytest.mark.parametrize(
    "field", ["name", "city", "contact_email", "website", "projects", "country"]
)
def test_a_nul_byte_in_the_company_form_is_a_form_error(
    matrix: Fixture,
    field: str,
) -> None:
    data = {"name": "Nouvelle", field: NUL}
    _post_is_refused(matrix.clients["admin"], _url(matrix, "clients:company-create"), data)


@pytest.mark.parametrize("field", ["email", "full_name", "company", "new_company_name"])
def test_a_nul_byte_in_the_client_user_form_is_a_form_error(
    matrix: Fixture,
    field: str,
) -> None:
    data = {"email": "new@bowman.test", "full_name": "New Person", "new_company_name": "New Co"}
    data[field] = NUL
    _post_is_refused(matrix.clients["admin"], _url(matrix, "clients:user-add"), data)


@pytest.mark.parametrize("field", ["members", "new_emails"])
def test_a_nul_byte_in_the_project_people_form_is_a_form_error(
    matrix: Fixture,
    field: str,
) -> None:
    data = {field: NUL}
    _post_is_refused(matrix.clients["admin"], _url(matrix, "project-clients:users-add"), data)


@pytest.mark.parametrize(
    ("persona", "field"),
    [
        *(("admin", field) for field in ("title", "description", "milestone", "assignee")),
        # A client user's form has no assignee (staff only): the field is not read at all.
        *(("client", field) for field in ("title", "description", "milestone")),
    ],
)
def test_a_nul_byte_in_the_task_form_is_a_form_error(
    matrix: Fixture,
    persona: str,
    field: str,
) -> None:
    data = {"title": "A task", field: NUL}
    _post_is_refused(matrix.clients[persona], _url(matrix, "projects:task-create"), data)


@pytest.mark.parametrize("value", ["\x00", "9" * 10_000, "²", "99999999999999999999"])
def test_a_bad_company_id_in_the_project_company_form_is_refused(
    matrix: Fixture,
    value: str,
) -> None:
    path = _url(matrix, "project-clients:company-add")
    _post_is_refused(matrix.clients["admin"], path, {"company": value})
