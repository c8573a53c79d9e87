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

import pytest
from django.db import transaction
from django.db.models import Model
from django.http import HttpResponse, QueryDict
from django.test import Client, RequestFactory
from django.urls import reverse
from zeal import zeal_ignore

from portail.accounts.models import User
from portail.audit.models import AuditEvent
from portail.clients.client_users import client_profile_default
from portail.clients.models import ClientCompany
from portail.notifications.models import OutboundEmail
from portail.portals.models import Membership
from portail.projects.models import Milestone, Task
from portail.web import MAX_ID, paginate, read_id, read_ids
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
    "notifications:outbox": ("status", "q", "page"),
    "audit:events": ("page", "actor", "action", "since", "until"),
    "clients:companies": ("q", "page"),
    "clients:users": ("q", "page", "company"),
    "clients:user-add": ("company",),
    "project-clients:list": ("q", "page", "company"),
    "project-clients:users-add": ("q", "page"),
    "member-permissions:clone": ("q", "company", "page"),
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


# The helpers every page reads its query string with --------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected_id"),
    [
        ("12", 12),
        (" 12 ", 12),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("0", None),
        ("-1", None),
        ("", None),
        ("\x00", None),
        ("1\x002", None),
        ("²", None),
        ("9" * 10_000, None),
        ("abc", None),
    ],
)
def test_an_id_is_read_only_when_a_key_column_can_hold_it(
    raw: str, expected_id: int | None
) -> None:
    data = QueryDict(mutable=True)
    data["company"] = raw
    assert read_id(data, "company") == expected_id
    data.setlist("members", [raw, "7"])
    assert read_ids(data, "members") == {7} | ({expected_id} if expected_id else set())


@pytest.mark.parametrize(
    ("query", "number"),
    [
        ("", 1),
        ("page=2", 2),
        ("page=3", 3),
        ("page=99", 3),  # past the end: the last page
        ("page=0", 1),
        ("page=-1", 1),
        ("page=abc", 1),
        ("page=%00", 1),
        ("page=%C2%B2", 1),
        (f"page={'9' * 10_000}", 1),
    ],
)
def test_a_page_number_is_read_like_the_paginator_did_for_good_ones(
    query: str, number: int
) -> None:
    request = RequestFactory().get("/", QUERY_STRING=query)
    page = paginate(request, list(range(25)), 10)
    assert page.number == number


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


@dataclass(frozen=True)
class Posted:
    """A form page, and a post it accepts ("{default_profile}" is the portal's default
    client profile's id, "{project}" the project's); each field named is spoiled in turn:
    a text field with NUL bytes, an id field with ids that cannot be."""

    name: str
    persona: str
    accepted: dict[str, str]
    text: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    goes_through: bool = True  # whether the unspoiled post is accepted

    def spoiled(self) -> list[tuple[str, str]]:
        return [(field, NUL) for field in self.text] + [
            (field, value) for field in self.ids for value in BAD_IDS
        ]


BAD_IDS = (NUL, "9" * 10_000, "²", "99999999999999999999", "-99999999999999999999")
POSTS = (
    Posted(
        "clients:company-create",
        "admin",
        {"name": "Nouvelle"},
        text=("name", "city", "contact_email", "website", "country"),
        ids=("projects",),
    ),
    Posted(
        "clients:user-add",
        "admin",
        {
            "email": "new@bowman.test",
            "full_name": "New Person",
            "new_company_name": "New Co",
            "profile": "{default_profile}",
            "projects": "{project}",
        },
        text=("email", "full_name", "new_company_name"),
        ids=("company", "profile", "projects"),
    ),
    Posted(
        "project-clients:company-add",
        "admin",
        {"new_company_name": "Nouvelle"},
        text=("new_company_name",),
        ids=("company",),
    ),
    Posted(
        "project-clients:users-add",
        "admin",
        {"new_emails": "new@bowman.test"},
        text=("new_emails",),
        ids=("members",),
    ),
    Posted(
        "projects:task-create",
        "admin",
        {"title": "A task"},
        text=("title", "description", "status"),
        ids=("milestone", "assignee"),
    ),
    # A client user's form has no assignee (staff only): that field is not read at all.
    Posted(
        "projects:task-create",
        "client",
        {"title": "A task"},
        text=("title", "description"),
        ids=("milestone",),
    ),
    Posted(
        "accounts:signin",
        "anonymous",
        {"username": "admin@acme.test", "password": "not the password"},
        text=("username", "password"),
        goes_through=False,
    ),
    Posted("recovery:password-reset", "anonymous", {"email": "x@acme.test"}, text=("email",)),
    Posted("member-permissions:clone", "admin", {}, ids=("targets",), goes_through=False),
)


def _post(client: Client, path: str, data: dict[str, str]) -> HttpResponse:
    """One POST, rolled back."""
    with zeal_ignore(), transaction.atomic():
        response: HttpResponse = client.post(path, data)
        transaction.set_rollback(True)
    return response


def _refusal(client: Client, path: str, data: dict[str, str]) -> str | None:
    """What is wrong with how the page answered a bad post (None: a form error or a
    4xx, and nothing written)."""
    before = _counts()
    with zeal_ignore():
        response = client.post(path, data)
    if _counts() != before:
        return f"{response.status_code}, and it wrote {_counts()} (was {before})"
    if response.status_code == 200:
        form = response.context["form"]
        return None if form.errors else "200 without a form error"
    return None if 400 <= response.status_code < 500 else str(response.status_code)


@pytest.mark.parametrize("posted", POSTS, ids=lambda posted: f"{posted.name}-{posted.persona}")
def test_a_bad_value_in_a_main_form_is_a_form_error_and_writes_nothing(
    matrix: Fixture, posted: Posted
) -> None:
    client = matrix.clients[posted.persona]
    path = reverse(posted.name, kwargs=matrix.kwargs[posted.name])
    ids = {
        "default_profile": client_profile_default(portal=matrix.world.portal).pk,
        "project": matrix.world.project.pk,
    }
    accepted = {field: value.format(**ids) for field, value in posted.accepted.items()}
    if posted.goes_through:  # the post, unspoiled, goes through: a refusal is the bad value's
        response = _post(client, path, accepted)
        form = response.context.get("form") if response.status_code == 200 else None
        assert response.status_code in (200, 302), response.status_code
        assert form is None or not form.errors, "the unspoiled post is accepted"
    failures = []
    for field, value in posted.spoiled():
        refusal = _refusal(client, path, {**accepted, field: value})
        if refusal is not None:
            failures.append(f"{field}={value[:20]!r} ({len(value)} chars): {refusal}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("bad", BAD_VALUES, ids=lambda bad: bad.label)
def test_bad_tokens_in_emailed_links_never_give_a_server_error(matrix: Fixture, bad: Bad) -> None:
    """The links sent by email carry a token in their path: a mangled one is 404 or the
    page's "this link does not work" answer, on GET and POST."""
    named = [name for name, kwargs in matrix.kwargs.items() if "token" in kwargs]
    assert named, "the emailed links are found"
    failures = []
    for name in named:
        path = reverse(name, kwargs={**matrix.kwargs[name], "token": "TOKEN"})
        for persona in ("anonymous", "client"):
            client = matrix.clients[persona]
            for method in ("get", "post"):
                try:
                    with zeal_ignore(), transaction.atomic():
                        response = getattr(client, method)(path.replace("TOKEN", bad.raw))
                        transaction.set_rollback(True)
                except Exception as error:  # what would have been a 500
                    failures.append(f"{method} {name} as {persona}: {error!r}"[:300])
                    continue
                if response.status_code >= 500:
                    failures.append(f"{method} {name} as {persona}: {response.status_code}")
    assert not failures, "\n".join(failures)
