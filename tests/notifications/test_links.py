"""Emails with a working link: the row holds a reference, the worker makes the link (links.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.core import mail

from portail.accounts.models import User
from portail.notifications import links
from portail.notifications.delivery import Outcome, email_attempt
from portail.notifications.links import LINK_PLACEHOLDER, EmailLink
from portail.notifications.models import EmailStatus, OutboundEmail
from tests.notifications.conftest import queue_reset_email
from tests.outbox import html_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def test_links() -> Iterator[list[tuple[int, dt.datetime]]]:
    """A link kind "test" whose minter answers a URL for odd references, None for even ones."""
    calls: list[tuple[int, dt.datetime]] = []

    def mint(ref: int, now: dt.datetime) -> str | None:
        calls.append((ref, now))
        return f"https://portail.example/t/{ref}/?a=1&b=2" if ref % 2 else None

    links.link_kind_register("test", mint)
    try:
        yield calls
    finally:
        links._minters.pop("test")


def queue(person: User, ref: int, kind: str = "test") -> OutboundEmail:
    return queue_reset_email(
        person,
        context={"user": person, "reset_url": LINK_PLACEHOLDER, "expires_hours": 2},
        link=EmailLink(kind, ref),
    )


def test_the_row_stores_the_reference_and_the_worker_sends_the_link(
    person: User, test_links: list[tuple[int, dt.datetime]]
) -> None:
    email = queue(person, 7)
    assert (email.link_kind, email.link_ref) == ("test", 7)
    assert "/t/7/" not in email.body_text + email.body_html

    assert email_attempt(email_id=email.pk).outcome == Outcome.SENT

    [message] = mail.outbox
    assert "https://portail.example/t/7/?a=1&b=2" in str(message.body)
    # Escaped in the HTML part, as any value the template would have put there.
    assert 'href="https://portail.example/t/7/?a=1&amp;b=2"' in html_of(message)
    assert LINK_PLACEHOLDER not in str(message.body) + html_of(message)
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert LINK_PLACEHOLDER in email.body_text  # the stored copy keeps no link
    assert [ref for ref, _now in test_links] == [7]


def test_an_email_whose_link_is_refused_is_cancelled_not_sent(
    person: User, test_links: list[tuple[int, dt.datetime]]
) -> None:
    email = queue(person, 8)

    assert email_attempt(email_id=email.pk).outcome == Outcome.CANCELLED

    assert mail.outbox == []
    email.refresh_from_db()
    assert (email.status, email.sent_at, email.claimed_at) == (EmailStatus.CANCELLED, None, None)
    assert email.last_error.startswith("Not sent: its link no longer has anything to open")
    # Cancelled for good: another attempt does nothing.
    assert email_attempt(email_id=email.pk).outcome == Outcome.SKIPPED


def test_queueing_a_link_refuses_an_unknown_kind_or_a_template_without_a_place_for_it(
    person: User, test_links: list[tuple[int, dt.datetime]]
) -> None:
    with pytest.raises(ValueError, match="No link minter"):
        queue(person, 1, kind="nobody-knows")
    with pytest.raises(ValueError, match="no place for its link"):
        queue_reset_email(person, link=EmailLink("test", 1))
    assert not OutboundEmail.objects.exists()


def test_a_kind_cannot_be_registered_twice_by_different_minters() -> None:
    def other(ref: int, now: dt.datetime) -> str | None:
        return None

    with pytest.raises(ValueError, match="already registered"):
        links.link_kind_register("invitation", other)
    assert links.link_kind_known("invitation")
    assert links.link_kind_known("password_reset")
