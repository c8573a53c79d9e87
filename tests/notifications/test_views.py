"""The outbox page, /p/<slug>/outbox/: admins of the portal only, their portal's emails only."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portail.notifications.models import EmailStatus, OutboundEmail
from portail.portals.models import Portal
from tests.conftest import World

pytestmark = pytest.mark.django_db


def outbox_url(portal: Portal) -> str:
    return reverse("notifications:outbox", kwargs={"portal_slug": portal.slug})


def retry_url(portal: Portal, email: OutboundEmail) -> str:
    return reverse("notifications:retry", kwargs={"portal_slug": portal.slug, "email_id": email.pk})


def make_email(
    portal: Portal | None, status: str = EmailStatus.SENT, **fields: Any
) -> OutboundEmail:
    values: dict[str, Any] = {
        "portal": portal,
        "kind": "invitation",
        "to": "someone@example.test",
        "subject": f"An email ({status})",
        "body_text": "Body",
        "language": "en",
        "status": status,
        "attempts": 1,
    }
    if status == EmailStatus.SENT:
        values["sent_at"] = timezone.now()
    if status == EmailStatus.SENDING:
        values["claimed_at"] = timezone.now()
    return OutboundEmail.objects.create(**{**values, **fields})


def test_only_the_portals_admins_may_see_its_outbox(world: World) -> None:
    url = outbox_url(world.portal)
    people = [
        world.admin,
        world.manager,
        world.employee,
        world.outsider,
        world.client,
        world.other_admin,
    ]

    codes = [world.client_for(person).get(url).status_code for person in people]

    assert codes == [200, 403, 403, 403, 403, 404]


def test_someone_signed_out_is_sent_to_sign_in(world: World) -> None:
    response = Client().get(outbox_url(world.portal))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:signin"))


def test_an_admin_sees_only_their_portals_emails_newest_first(world: World) -> None:
    older = make_email(world.portal, subject="Older")
    newer = make_email(world.portal, subject="Newer")
    make_email(world.other_portal, subject="Other portal's")
    make_email(None, subject="A password reset")

    response = world.client_for(world.admin).get(outbox_url(world.portal))

    assert [email.pk for email in response.context["emails"]] == [newer.pk, older.pk]
    content = response.content.decode()
    assert "Newer" in content
    assert "Other portal&#x27;s" not in content
    assert "A password reset" not in content


def test_failed_emails_are_shown_with_their_error_and_a_retry_button(world: World) -> None:
    failed = make_email(world.portal, EmailStatus.FAILED, last_error="550 5.1.1 No such user")
    sent = make_email(world.portal, EmailStatus.SENT)

    response = world.client_for(world.admin).get(outbox_url(world.portal))

    content = response.content.decode()
    assert f'<tr id="email-{failed.pk}" class="row-failed">' in content
    assert "550 5.1.1 No such user" in content
    assert "1 email could not be delivered." in content
    assert retry_url(world.portal, failed) in content
    assert retry_url(world.portal, sent) not in content


def test_a_sent_email_never_shows_an_error_even_one_stored_before_it_was_cleared(
    world: World,
) -> None:
    make_email(world.portal, EmailStatus.SENT, last_error="451 4.3.0 Mailbox busy")
    make_email(world.portal, EmailStatus.QUEUED, attempts=1, last_error="421 4.7.0 Try later")

    content = world.client_for(world.admin).get(outbox_url(world.portal)).content.decode()

    assert "451 4.3.0 Mailbox busy" not in content
    assert "421 4.7.0 Try later" in content


def test_the_outbox_filters_by_status(world: World) -> None:
    failed = make_email(world.portal, EmailStatus.FAILED)
    make_email(world.portal, EmailStatus.SENT)
    make_email(world.portal, EmailStatus.QUEUED)
    admin = world.client_for(world.admin)

    response = admin.get(outbox_url(world.portal), {"status": "failed"})

    assert [email.pk for email in response.context["emails"]] == [failed.pk]
    assert response.context["status"] == "failed"
    counts = response.context["counts"]
    assert (counts["total"], counts["failed"], counts["sent"], counts["queued"]) == (3, 1, 1, 1)
    # An unknown status shows everything rather than an error.
    response = admin.get(outbox_url(world.portal), {"status": "bogus"})
    assert response.status_code == 200
    assert len(response.context["emails"]) == 3


def test_the_outbox_is_paginated(world: World) -> None:
    OutboundEmail.objects.bulk_create(
        [
            OutboundEmail(
                portal=world.portal,
                kind="invitation",
                to=f"person{i}@example.test",
                subject=f"Email {i}",
                body_text="Body",
                language="en",
            )
            for i in range(51)
        ]
    )
    admin = world.client_for(world.admin)

    first = admin.get(outbox_url(world.portal))
    second = admin.get(outbox_url(world.portal), {"page": 2})

    assert len(first.context["emails"]) == 50
    assert len(second.context["emails"]) == 1
    assert "page=2" in first.content.decode()


def test_the_outbox_costs_the_same_queries_for_one_email_or_many(world: World) -> None:
    admin = world.client_for(world.admin)
    make_email(world.portal, EmailStatus.FAILED)
    admin.get(outbox_url(world.portal))  # warm the session

    with CaptureQueriesContext(connection) as one:
        admin.get(outbox_url(world.portal))
    for status in [EmailStatus.QUEUED, EmailStatus.SENDING, EmailStatus.SENT] * 5:
        make_email(world.portal, status)
    with CaptureQueriesContext(connection) as many:
        admin.get(outbox_url(world.portal))

    assert len(many) == len(one)


def test_an_admin_can_retry_a_failed_email(world: World) -> None:
    failed = make_email(world.portal, EmailStatus.FAILED, attempts=8, last_error="550 no")

    response = world.client_for(world.admin).post(
        retry_url(world.portal, failed), {"status": "failed"}
    )

    assert response.status_code == 302
    assert response["Location"] == outbox_url(world.portal) + "?status=failed"
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (EmailStatus.QUEUED, 0)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "The email to someone@example.test will be sent again."
    ]


def test_retry_is_refused_to_everyone_but_the_portals_admins(world: World) -> None:
    failed = make_email(world.portal, EmailStatus.FAILED)
    url = retry_url(world.portal, failed)
    people = [world.manager, world.employee, world.outsider, world.client, world.other_admin]

    codes = [world.client_for(person).post(url).status_code for person in people]

    assert codes == [403, 403, 403, 403, 404]
    assert Client().post(url).status_code == 302  # to sign in
    failed.refresh_from_db()
    assert failed.status == EmailStatus.FAILED


def test_retry_of_another_portals_email_is_not_found(world: World) -> None:
    theirs = make_email(world.other_portal, EmailStatus.FAILED)
    password_reset = make_email(None, EmailStatus.FAILED)
    admin = world.client_for(world.admin)

    assert admin.post(retry_url(world.portal, theirs)).status_code == 404
    assert admin.post(retry_url(world.portal, password_reset)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == EmailStatus.FAILED


def test_retry_of_an_email_that_has_not_failed_says_so(world: World) -> None:
    sent = make_email(world.portal, EmailStatus.SENT)

    response = world.client_for(world.admin).post(retry_url(world.portal, sent))

    assert response.status_code == 302
    assert response["Location"] == outbox_url(world.portal)
    sent.refresh_from_db()
    assert sent.status == EmailStatus.SENT
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Only a failed email can be sent again."
    ]


def test_retry_answers_only_post(world: World) -> None:
    failed = make_email(world.portal, EmailStatus.FAILED)
    assert world.client_for(world.admin).get(retry_url(world.portal, failed)).status_code == 405


# Searching by recipient ---------------------------------------------------------------------


def query_links(content: str) -> list[dict[str, str]]:
    """The page's links to itself (href="?..."), as their query parameters."""
    return [
        dict(QueryDict(html.unescape(query)).items())
        for query in re.findall(r'href="\?([^"]*)"', content)
    ]


def test_the_outbox_finds_emails_by_part_of_the_recipients_address_in_any_case(
    world: World,
) -> None:
    anna = make_email(world.portal, to="Anna.Keller@Example.test", subject="To Anna")
    make_email(world.portal, to="bruno@example.test", subject="To Bruno")
    make_email(world.other_portal, to="anna.keller@example.test", subject="Other portal's")
    make_email(None, to="anna.keller@example.test", subject="A password reset")

    response = world.client_for(world.admin).get(outbox_url(world.portal), {"q": "  ANNA.kel "})

    assert response.status_code == 200
    assert [email.pk for email in response.context["emails"]] == [anna.pk]
    assert response.context["search"] == "ANNA.kel"
    content = response.content.decode()
    assert "To Anna" in content
    assert "To Bruno" not in content
    assert "Other portal&#x27;s" not in content
    assert "A password reset" not in content
    assert 'name="q" value="  ANNA.kel "' in content  # the search box keeps what was typed
    counts = response.context["counts"]
    assert (counts["total"], counts["sent"]) == (1, 1)


def test_the_search_is_kept_with_the_status_filter_the_tabs_and_the_pages(world: World) -> None:
    OutboundEmail.objects.bulk_create(
        [
            OutboundEmail(
                portal=world.portal,
                kind="invitation",
                to=f"anna{i}@example.test",
                subject=f"Email {i}",
                body_text="Body",
                language="en",
                status=EmailStatus.FAILED,
            )
            for i in range(51)
        ]
    )
    anna_sent = make_email(world.portal, EmailStatus.SENT, to="anna@example.test")
    make_email(world.portal, EmailStatus.FAILED, to="bruno@example.test")
    admin = world.client_for(world.admin)

    first = admin.get(outbox_url(world.portal), {"q": "anna", "status": "failed"})
    second = admin.get(outbox_url(world.portal), {"q": "anna", "status": "failed", "page": 2})
    sent = admin.get(outbox_url(world.portal), {"q": "anna", "status": "sent"})

    assert len(first.context["emails"]) == 50
    assert [email.to for email in second.context["emails"]] == ["anna0@example.test"]
    assert [email.pk for email in sent.context["emails"]] == [anna_sent.pk]
    content = first.content.decode()
    assert '<input type="hidden" name="status" value="failed">' in content  # the search form
    links = query_links(content)
    assert {"status": "failed", "q": "anna", "page": "2"} in links  # the pager
    assert {"status": "sent", "q": "anna"} in links  # a status tab
    assert {"q": "anna"} in links  # the "All" tab
    assert {"status": "failed"} in links  # clearing the search keeps the status
    # The tabs count what the search finds; the alert counts every failed email.
    counts = first.context["counts"]
    assert (counts["total"], counts["failed"], counts["sent"], counts["all_failed"]) == (
        52,
        51,
        1,
        52,
    )
    assert "52 emails could not be delivered." in content


def test_retrying_from_a_search_comes_back_to_the_same_search(world: World) -> None:
    failed = make_email(world.portal, EmailStatus.FAILED, to="anna@example.test")

    response = world.client_for(world.admin).post(
        retry_url(world.portal, failed), {"status": "failed", "q": "anna"}
    )

    assert response.status_code == 302
    assert response["Location"] == outbox_url(world.portal) + "?status=failed&q=anna"


def test_a_search_that_finds_nothing_says_so(world: World) -> None:
    make_email(world.portal, to="anna@example.test")
    admin = world.client_for(world.admin)

    alone = admin.get(outbox_url(world.portal), {"q": "<zoé>"}).content.decode()
    with_status = admin.get(outbox_url(world.portal), {"q": "anna", "status": "failed"})

    assert "No email is addressed to a recipient containing “&lt;zoé&gt;”." in alone
    assert "Clear the search" in alone
    assert (
        "No email with this status is addressed to a recipient containing “anna”."
        in with_status.content.decode()
    )


@pytest.mark.parametrize(
    ("search", "error"),
    [
        ("anna\x00", "Null characters are not allowed."),
        ("a" * 10_000, "Ensure this value has at most 254 characters (it has 10000)."),
    ],
)
def test_a_bad_search_says_what_is_wrong_and_keeps_the_status(
    world: World, search: str, error: str
) -> None:
    failed = make_email(world.portal, EmailStatus.FAILED, to="anna@example.test")
    make_email(world.portal, EmailStatus.SENT, to="anna@example.test")

    response = world.client_for(world.admin).get(
        outbox_url(world.portal), {"q": search, "status": "failed"}
    )

    assert response.status_code == 200
    assert response.context["search"] == ""
    assert [email.pk for email in response.context["emails"]] == [failed.pk]
    assert error in response.content.decode()
