"""No live secret at rest (issue 10, item 1): no row, log line, audit event or admin page
holds a working invitation or password-reset link.

The outbox row keeps a placeholder and a reference; the worker makes the token
when it sends the email (notifications/links.py). These tests send real emails
through the worker and then look for the tokens everywhere they could have been
written: every column of every table (found by the database's introspection, so
a table no model knows is searched too), every log line, and the Django admin's
outbox pages.
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import logging
import sys
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from zeal import zeal_ignore

from portail.accounts.models import PasswordResetToken, User
from portail.accounts.tokens import RedactTokens, hash_token, new_token, redact_tokens
from portail.clients import invitation_selectors, invitation_services
from portail.clients.models import Invitation
from portail.notifications import links
from portail.notifications.delivery import Outcome, email_attempt
from portail.notifications.links import LINK_PLACEHOLDER
from portail.notifications.models import EmailStatus, OutboundEmail
from portail.portals.models import Membership, MembershipStatus
from tests.conftest import PASSWORD, World, make_member
from tests.notifications.conftest import RecordingHandler
from tests.notifications.conftest import smtp_server as smtp_server  # the fixture
from tests.outbox import INVITATION_LINK, RESET_LINK, deliver, link_in, path_of, token_in

pytestmark = pytest.mark.django_db


def invited(world: World, email: str = "nina@bowman.test") -> Membership:
    membership = make_member(world.portal, email, "client", "Nina Bowman")
    membership.status = MembershipStatus.INVITED
    membership.save()
    membership.user.set_unusable_password()
    membership.user.save()
    return membership


def every_stored_value() -> Iterator[tuple[str, str, str]]:
    """(table, column, text) for every text-like value in every table of the database."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [
                column.name
                for column in connection.introspection.get_table_description(cursor, table)
            ]
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 (names from introspection)
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, memoryview):
                        value = bytes(value)
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", "replace")
                    if value is not None and not isinstance(value, int | float):
                        yield table, column, str(value)


def places_holding(secret: str) -> list[str]:
    return sorted(
        {f"{table}.{column}" for table, column, text in every_stored_value() if secret in text}
    )


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """What the configured log handlers (settings.LOGGING) would have printed."""
    stream = io.StringIO()
    handlers = {
        handler
        for name in ("", "django", "django.server")
        for handler in logging.getLogger(name).handlers
        if isinstance(handler, logging.StreamHandler)
        and any(isinstance(f, RedactTokens) for f in handler.filters)
    }
    assert handlers, "no configured handler found"
    previous = {handler: handler.stream for handler in handlers}
    for handler in handlers:
        handler.setStream(stream)
    try:
        yield stream
    finally:
        for handler, original in previous.items():
            handler.setStream(original)


def test_after_an_invitation_and_a_reset_are_sent_no_table_holds_a_working_token(
    world: World, log_stream: io.StringIO
) -> None:
    nina = invited(world)
    invitation_services.invitation_send(membership=nina, actor=world.admin.user)
    # Olga already has an account (another portal's admin): her link asks for her password.
    olga = make_member(world.portal, "admin@other.test", "client")
    olga.status = MembershipStatus.INVITED
    olga.save()
    invitation_services.invitation_send(membership=olga, actor=world.admin.user)
    Client().post(reverse("recovery:password-reset"), {"email": "admin@acme.test"})
    [nina_email, olga_email, reset_email] = deliver()
    links_sent = [
        link_in(nina_email, INVITATION_LINK),
        link_in(olga_email, INVITATION_LINK),
        link_in(reset_email, RESET_LINK),
    ]
    tokens = [
        token_in(nina_email, INVITATION_LINK),
        token_in(olga_email, INVITATION_LINK),
        token_in(reset_email, RESET_LINK),
    ]
    # The links work (they are the real ones); opening them is a mail scanner's or the person's.
    stranger = Client()
    for link in links_sent:
        assert stranger.get(path_of(link)).status_code == 200
    # A page that refuses a live link (signed in as somebody else) is a 4xx: Django logs its path.
    assert world.client_for(world.admin).get(path_of(links_sent[0])).status_code == 403
    # A wrong password on Olga's link: django-axes records the failed attempt and its path.
    wrong = stranger.post(path_of(links_sent[1]), {"password": "not hers"})
    assert wrong.status_code == 200
    assert wrong.context["form"].errors["password"]

    for secret in tokens + links_sent:
        assert places_holding(secret) == []
    # The search does find what is there: the hashes, and the attempt's path, redacted.
    assert places_holding(hash_token(tokens[0])) == ["clients_invitation.token_hash"]
    assert places_holding(hash_token(tokens[2])) == ["accounts_passwordresettoken.token_hash"]
    assert "axes_accessattempt.path_info" in places_holding("/invitations/[redacted]/")
    # The rows that were searched do exist: the outbox rows, with their placeholders.
    stored = OutboundEmail.objects.order_by("pk")
    assert [(e.kind, e.status) for e in stored] == [
        ("client_invitation", EmailStatus.SENT),
        ("client_invitation", EmailStatus.SENT),
        ("password_reset", EmailStatus.SENT),
    ]
    assert all(LINK_PLACEHOLDER in e.body_text and LINK_PLACEHOLDER in e.body_html for e in stored)
    # Only hashes are stored.
    assert PasswordResetToken.objects.get().token_hash == hash_token(tokens[2])
    logged = log_stream.getvalue()
    assert "Forbidden: /invitations/[redacted]/" in logged
    for secret in tokens:
        assert secret not in logged


def test_the_admin_pages_of_outbox_rows_show_no_working_link(world: World) -> None:
    invitation_services.invitation_send(membership=invited(world), actor=world.admin.user)
    Client().post(reverse("recovery:password-reset"), {"email": "admin@acme.test"})
    sent = deliver()
    tokens = [token_in(sent[0], INVITATION_LINK), token_in(sent[1], RESET_LINK)]
    admin = Client()
    with zeal_ignore():
        admin.force_login(User.objects.create_superuser("root@example.test", PASSWORD))
        pages = [admin.get(reverse("admin:notifications_outboundemail_changelist"))] + [
            admin.get(reverse("admin:notifications_outboundemail_change", args=[pk]))
            for pk in OutboundEmail.objects.values_list("pk", flat=True)
        ]
    for page in pages:
        assert page.status_code == 200
        content = page.content.decode()
        assert not any(token in content for token in tokens)
    # The change pages show where the link goes instead.
    assert all(LINK_PLACEHOLDER in page.content.decode() for page in pages[1:])


# At sending: the link is made by a conditional update, or the email is not sent -------------


def test_an_invitation_revoked_before_its_email_leaves_is_not_sent(world: World) -> None:
    nina = invited(world)
    invitation = invitation_services.invitation_send(membership=nina, actor=world.admin.user)
    before = Invitation.objects.get().token_hash
    invitation_services.invitation_revoke(membership=nina, actor=world.admin.user)

    assert deliver() == []

    email = OutboundEmail.objects.get()
    assert email.status == EmailStatus.CANCELLED
    assert email.sent_at is None
    assert "no longer has anything to open" in email.last_error
    assert Invitation.objects.get(pk=invitation.pk).token_hash == before  # no link was made


def test_a_replaced_invitation_email_is_not_sent_and_the_new_one_is(world: World) -> None:
    nina = invited(world)
    t0 = timezone.now()
    invitation_services.invitation_send(membership=nina, actor=world.admin.user, now=t0)
    later = t0 + invitation_selectors.REINVITE_AFTER
    invitation_services.invitation_send(membership=nina, actor=world.admin.user, now=later)

    [message] = deliver(now=later)

    assert [e.status for e in OutboundEmail.objects.order_by("pk")] == [
        EmailStatus.CANCELLED,
        EmailStatus.SENT,
    ]
    check = invitation_selectors.invitation_for_token(raw_token=token_in(message), now=later)
    assert check.usable
    assert check.invitation is not None
    assert check.invitation.pk == Invitation.objects.latest("pk").pk


def test_an_accepted_or_expired_invitation_gets_no_new_link(world: World) -> None:
    nina = invited(world)
    t0 = timezone.now()
    invitation = invitation_services.invitation_send(
        membership=nina, actor=world.admin.user, now=t0
    )
    email = OutboundEmail.objects.get()
    [message] = deliver(now=t0)
    invitation_services.invitation_accept(
        raw_token=token_in(message), full_name="Nina", password="a fresh passphrase 42", now=t0
    )
    assert links.link_mint(link=links.EmailLink("invitation", invitation.pk), now=t0) is None

    ada = invited(world, "ada@bowman.test")
    expired = invitation_services.invitation_send(membership=ada, actor=None, now=t0)
    after = expired.expires_at
    assert links.link_mint(link=links.EmailLink("invitation", expired.pk), now=after) is None
    assert links.link_mint(link=links.EmailLink("invitation", 10**9), now=t0) is None
    assert email.pk  # the first email was the one sent


def test_a_superseded_reset_email_is_not_sent(world: World) -> None:
    client = Client()
    client.post(reverse("recovery:password-reset"), {"email": "admin@acme.test"})
    PasswordResetToken.objects.update(created_at=timezone.now() - dt.timedelta(minutes=5))
    client.post(reverse("recovery:password-reset"), {"email": "admin@acme.test"})

    [message] = deliver()

    assert [e.status for e in OutboundEmail.objects.order_by("pk")] == [
        EmailStatus.CANCELLED,
        EmailStatus.SENT,
    ]
    assert client.get(path_of(link_in(message, RESET_LINK))).status_code == 200


def test_a_retry_makes_a_new_token_and_the_undelivered_one_dies(
    world: World, smtp_server: RecordingHandler
) -> None:
    smtp_server.data_answers = ["451 4.3.0 Mailbox busy, try again later"]
    nina = invited(world)
    invitation = invitation_services.invitation_send(membership=nina, actor=world.admin.user)
    email = OutboundEmail.objects.get()
    placeholder_hash = Invitation.objects.get().token_hash

    assert email_attempt(email_id=email.pk).outcome == Outcome.RETRY
    undelivered_hash = Invitation.objects.get().token_hash
    OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
    assert email_attempt(email_id=email.pk).outcome == Outcome.SENT

    [message] = smtp_server.messages
    text = message.get_body(("plain",))
    assert text is not None
    match = INVITATION_LINK.search(text.get_content())
    assert match is not None
    delivered_hash = Invitation.objects.get(pk=invitation.pk).token_hash
    assert len({placeholder_hash, undelivered_hash, delivered_hash}) == 3
    assert delivered_hash == hash_token(match["token"])
    # Each copy is a different message: a receiver must not drop the one with the live link.
    assert message["Message-ID"].endswith(f".2@{message['Message-ID'].split('@')[1]}")
    assert mail.outbox == []


def test_a_refusal_quoting_the_link_is_stored_without_it(
    world: World, smtp_server: RecordingHandler, monkeypatch: pytest.MonkeyPatch
) -> None:
    nina = invited(world)
    invitation_services.invitation_send(membership=nina, actor=world.admin.user)
    email = OutboundEmail.objects.get()
    original = links.link_fill

    def fill(*, text: str, html: str, url: str) -> tuple[str, str]:
        smtp_server.data_answers = [f"554 5.7.1 Message refused: spam link {url}"]
        return original(text=text, html=html, url=url)

    monkeypatch.setattr("portail.notifications.delivery.link_fill", fill)
    assert email_attempt(email_id=email.pk).outcome == Outcome.FAILED
    email.refresh_from_db()
    assert email.last_error == f"554 5.7.1 Message refused: spam link {LINK_PLACEHOLDER}"


# Log lines --------------------------------------------------------------------------------------


def test_every_configured_log_handler_redacts_tokens() -> None:
    for name in ("", "django", "django.request", "django.security.csrf", "django.server"):
        logger = logging.getLogger(name)
        while logger is not None:
            for handler in logger.handlers:
                if type(handler).__module__.startswith("_pytest"):
                    continue  # pytest's own capture, not the installation's logging
                assert any(isinstance(f, RedactTokens) for f in handler.filters), (name, handler)
            logger = logger.parent if logger.propagate else None  # type: ignore[assignment]


def test_the_log_filter_redacts_token_shaped_text_in_messages_and_tracebacks() -> None:
    raw, _digest = new_token()
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Forbidden: %s", (f"/x/{raw}/",), None
    )
    try:
        raise ValueError(f"bad link /invitations/{raw}/")
    except ValueError:
        record.exc_info = sys.exc_info()
    assert RedactTokens().filter(record)
    formatted = logging.Formatter().format(record)
    assert raw not in formatted
    assert "Forbidden: /x/[redacted]/" in formatted
    assert "bad link /invitations/[redacted]/" in formatted
    # Short words, ids and the placeholder are left alone.
    assert redact_tokens("email 12 sent to nina@bowman.test [[portail-link]]") == (
        "email 12 sent to nina@bowman.test [[portail-link]]"
    )


# Rows written before: the data migration ----------------------------------------------------


def test_the_migration_takes_links_out_of_stored_emails(world: World) -> None:
    scrub = importlib.import_module(
        "portail.notifications.migrations.0003_scrub_stored_links"
    ).scrub
    nina = invited(world)
    live, digest = new_token()
    invitation = Invitation.objects.create(
        portal=world.portal,
        membership=nina,
        token_hash=digest,
        expires_at=timezone.now() + dt.timedelta(days=7),
    )
    base = "https://portail.example"

    def old_email(status: str, path: str) -> OutboundEmail:
        return OutboundEmail.objects.create(
            portal=world.portal,
            kind="client_invitation",
            to="nina@bowman.test",
            subject="Invited",
            body_text=f"Open this link:\n\n{base}{path}\n\nBye",
            body_html=f'<a href="{base}{path}">{base}{path}</a>',
            language="en",
            status=status,
            sent_at=timezone.now() if status == EmailStatus.SENT else None,
        )

    sent = old_email(EmailStatus.SENT, f"/invitations/{live}/")
    queued = old_email(EmailStatus.QUEUED, f"/invitations/{live}/")
    gone = old_email(EmailStatus.FAILED, "/accounts/password/reset/" + "z" * 43 + "/")
    other = old_email(EmailStatus.SENT, "/accounts/password/reset/")  # the request page

    with zeal_ignore():
        scrub(apps, None)

    for email in (sent, queued, gone, other):
        email.refresh_from_db()
    assert sent.body_text == "Open this link:\n\n[link removed]\n\nBye"
    assert sent.body_html == '<a href="[link removed]">[link removed]</a>'
    assert (queued.link_kind, queued.link_ref, queued.status) == (
        "invitation",
        invitation.pk,
        EmailStatus.QUEUED,
    )
    assert queued.body_text == f"Open this link:\n\n{LINK_PLACEHOLDER}\n\nBye"
    assert (gone.status, gone.body_text) == (
        EmailStatus.CANCELLED,
        "Open this link:\n\n[link removed]\n\nBye",
    )
    assert other.body_text.endswith("/accounts/password/reset/\n\nBye")
    assert places_holding(live) == []
    # The queued one still goes out, with a fresh link that works.
    [message] = deliver()
    assert invitation_selectors.invitation_for_token(raw_token=token_in(message)).usable
