"""Sending one outbox row against a real SMTP server: sent once, retried, or failed."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings

from portail.accounts.models import User
from portail.notifications import delivery, services, tasks
from portail.notifications.delivery import Outcome, backoff_delay, classify_error
from portail.notifications.models import EmailStatus, OutboundEmail
from tests.notifications.conftest import RecordingHandler, queue_reset_email

pytestmark = pytest.mark.django_db


def make_due(email: OutboundEmail) -> None:
    """Let the backoff pass, as if the clock had moved on."""
    OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())


def test_it_sends_a_queued_email_as_text_and_html(
    smtp_server: RecordingHandler, person: User, settings: Settings
) -> None:
    email = queue_reset_email(person)

    attempt = delivery.email_attempt(email_id=email.pk)

    assert attempt.outcome == Outcome.SENT
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert email.sent_at is not None
    assert email.attempts == 1
    [message] = smtp_server.messages
    assert message["To"] == "paul@bowman.test"
    assert message["From"] == settings.DEFAULT_FROM_EMAIL
    assert message["Subject"] == "Reset your Portail password"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].startswith(f"<outbox.{email.pk}.")
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "https://portail.example/accounts/password/reset/tok3n/" in text.get_content()
    assert "Paul O&#x27;Neil" in html.get_content()


def test_it_retries_after_a_temporary_smtp_failure_and_delivers_exactly_once(
    smtp_server: RecordingHandler, person: User
) -> None:
    smtp_server.data_answers = ["451 4.3.0 Mailbox busy, try again later"]
    email = queue_reset_email(person)

    before = timezone.now()
    first = tasks.email_send.call(email.pk)

    assert first == Outcome.RETRY
    email.refresh_from_db()
    assert email.status == EmailStatus.QUEUED
    assert email.attempts == 1
    assert email.last_error == "451 4.3.0 Mailbox busy, try again later"
    # Backoff: the first retry waits 30 seconds, and its task waits as long.
    assert before + dt.timedelta(seconds=30) <= email.next_attempt_at
    assert email.next_attempt_at <= timezone.now() + dt.timedelta(seconds=30)
    [retry_task] = DBTaskResult.objects.filter(status="READY")
    assert retry_task.args_kwargs == {"args": [email.pk], "kwargs": {}}
    assert retry_task.run_after == email.next_attempt_at
    assert smtp_server.received == []

    # Too early: the row is not due, so nothing is sent.
    assert tasks.email_send.call(email.pk) == Outcome.SKIPPED
    make_due(email)
    assert tasks.email_send.call(email.pk) == Outcome.SENT
    assert tasks.email_send.call(email.pk) == Outcome.SKIPPED

    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert email.attempts == 2
    assert len(smtp_server.messages) == 1
    # The error of the failed first attempt went with the update that marked it sent.
    assert email.last_error == ""


def test_connection_refused_is_retried(no_smtp_server: None, person: User) -> None:
    email = queue_reset_email(person)

    assert tasks.email_send.call(email.pk) == Outcome.RETRY

    email.refresh_from_db()
    assert email.status == EmailStatus.QUEUED
    assert email.attempts == 1
    assert email.last_error.startswith("ConnectionRefusedError")
    assert email.next_attempt_at > timezone.now()
    assert DBTaskResult.objects.filter(status="READY", run_after=email.next_attempt_at).exists()


def test_a_550_answer_marks_the_email_failed_with_the_error(
    smtp_server: RecordingHandler, person: User
) -> None:
    smtp_server.data_answers = ["550 5.7.1 Message rejected as spam"]
    email = queue_reset_email(person)

    assert tasks.email_send.call(email.pk) == Outcome.FAILED

    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED
    assert email.attempts == 1
    assert email.last_error == "550 5.7.1 Message rejected as spam"
    assert email.claimed_at is None
    assert not DBTaskResult.objects.exists()  # no retry is scheduled


def test_a_recipient_refused_with_550_marks_the_email_failed(
    smtp_server: RecordingHandler, person: User
) -> None:
    smtp_server.rcpt_answers = ["550 5.1.1 No such user here"]
    email = queue_reset_email(person)

    assert delivery.email_attempt(email_id=email.pk).outcome == Outcome.FAILED

    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED
    assert email.last_error == "Recipient refused: paul@bowman.test: 550 5.1.1 No such user here"


def test_a_recipient_refused_with_450_is_retried(
    smtp_server: RecordingHandler, person: User
) -> None:
    smtp_server.rcpt_answers = ["450 4.2.1 Mailbox temporarily unavailable"]
    email = queue_reset_email(person)

    assert delivery.email_attempt(email_id=email.pk).outcome == Outcome.RETRY

    make_due(email)
    assert delivery.email_attempt(email_id=email.pk).outcome == Outcome.SENT
    assert len(smtp_server.messages) == 1


def test_it_gives_up_when_the_next_try_would_be_past_the_give_up_time(
    smtp_server: RecordingHandler, person: User, settings: Settings
) -> None:
    # Backoff 30 s then 60 s fit in two minutes; the third wait (2 min) does not.
    settings.OUTBOX_GIVE_UP_AFTER = dt.timedelta(minutes=2)
    smtp_server.data_answers = ["421 4.7.0 Try again later"] * 5
    email = queue_reset_email(person)

    outcomes = []
    for _ in range(4):
        make_due(email)
        outcomes.append(delivery.email_attempt(email_id=email.pk).outcome)

    assert outcomes == [Outcome.RETRY, Outcome.RETRY, Outcome.FAILED, Outcome.SKIPPED]
    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED
    assert email.attempts == 3
    assert email.last_error == "421 4.7.0 Try again later (gave up after 3 attempts)"
    assert smtp_server.received == []


def test_backoff_doubles_from_30_seconds_up_to_an_hour() -> None:
    delays = [backoff_delay(n).total_seconds() for n in (1, 2, 3, 4, 7, 8, 9, 50)]
    assert delays == [30, 60, 120, 240, 1920, 3600, 3600, 3600]


def test_backoff_grows_between_consecutive_failures(
    smtp_server: RecordingHandler, person: User
) -> None:
    smtp_server.data_answers = ["451 busy", "451 busy"]
    email = queue_reset_email(person)
    waits = []
    for _ in range(2):
        failed_at = timezone.now()
        delivery.email_attempt(email_id=email.pk)
        email.refresh_from_db()
        waits.append(round((email.next_attempt_at - failed_at).total_seconds()))
        make_due(email)
    assert waits == [30, 60]


def test_two_claims_of_the_same_row_only_one_gets_it(person: User) -> None:
    email = queue_reset_email(person)

    first = delivery.email_claim(email_id=email.pk)
    second = delivery.email_claim(email_id=email.pk)

    assert first is not None
    assert first.status == EmailStatus.SENDING
    assert first.attempts == 1
    assert first.claimed_at is not None
    assert second is None


def test_a_row_claimed_by_another_worker_is_not_sent_again(
    smtp_server: RecordingHandler, person: User
) -> None:
    email = queue_reset_email(person)
    assert delivery.email_claim(email_id=email.pk) is not None  # another worker has it

    assert delivery.email_attempt(email_id=email.pk).outcome == Outcome.SKIPPED
    assert smtp_server.received == []


def test_two_tasks_for_the_same_row_send_it_once(
    smtp_server: RecordingHandler, person: User
) -> None:
    email = queue_reset_email(person)

    outcomes = [tasks.email_send.call(email.pk), tasks.email_send.call(email.pk)]

    assert outcomes == [Outcome.SENT, Outcome.SKIPPED]
    assert len(smtp_server.messages) == 1


def test_an_email_that_cannot_be_built_fails_at_once(
    smtp_server: RecordingHandler, person: User
) -> None:
    email = queue_reset_email(person)
    # A subject with a line break would be a header injection: Django refuses it.
    OutboundEmail.objects.filter(pk=email.pk).update(subject="Hello\nBcc: victim@example.com")

    assert delivery.email_attempt(email_id=email.pk).outcome == Outcome.FAILED

    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED
    assert email.last_error.startswith("BadHeaderError")
    assert smtp_server.received == []


@pytest.mark.parametrize(
    ("error", "temporary"),
    [
        (smtplib.SMTPDataError(451, b"busy"), True),
        (smtplib.SMTPDataError(554, b"no"), False),
        (smtplib.SMTPSenderRefused(553, b"bad sender", "portail@localhost"), False),
        (smtplib.SMTPAuthenticationError(454, b"try later"), True),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True),
        (smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server."), False),
        (ConnectionRefusedError(111, "Connection refused"), True),
        (TimeoutError("timed out"), True),
        (ValueError("Invalid address"), False),
        (
            smtplib.SMTPRecipientsRefused({"a@x.test": (550, b"no"), "b@x.test": (450, b"later")}),
            True,
        ),
    ],
)
def test_errors_are_classified_temporary_or_permanent(error: Exception, temporary: bool) -> None:
    assert classify_error(error)[0] is temporary


def test_the_recorded_error_is_one_short_line() -> None:
    error = smtplib.SMTPDataError(451, b"first line\nsecond line " + b"x" * 1000)
    _temporary, text = classify_error(error)
    assert "\n" not in text
    assert len(text) == delivery.LAST_ERROR_MAX_LENGTH
    assert text.startswith("451 first line second line")


def test_a_worker_lost_after_the_server_accepted_sends_a_second_copy_with_the_same_message_id(
    smtp_server: RecordingHandler, person: User, settings: Settings
) -> None:
    """The known window (SECURITY.md, "Email goes out exactly once"), made to happen."""
    email = queue_reset_email(person)
    claimed = delivery.email_claim(email_id=email.pk)
    assert claimed is not None
    delivery._send(claimed, text=claimed.body_text, html=claimed.body_html)
    # The worker dies here: the server has the message, the row still says "sending".
    later = timezone.now() + dt.timedelta(minutes=settings.OUTBOX_STUCK_MINUTES + 1)
    assert services.outbox_reap(now=later) == 1
    make_due(email)

    assert delivery.email_attempt(email_id=email.pk).outcome == Outcome.SENT

    first, second = smtp_server.messages
    assert first["Message-ID"] == second["Message-ID"]  # a receiver can drop the copy
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.SENT, 2)
