"""Queueing emails in the caller's transaction, re-sending failed ones, the reaper."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks as CaptureCallbacks
from pytest_django.fixtures import Settings

from portail.accounts.models import User
from portail.notifications import services
from portail.notifications.models import EmailStatus, OutboundEmail
from tests.conftest import World
from tests.notifications.conftest import RecordingHandler, queue_reset_email
from tests.test_settings import manage


def queued_task_ids() -> list[int]:
    return sorted(
        args["args"][0] for args in DBTaskResult.objects.values_list("args_kwargs", flat=True)
    )


def make_row(**fields: Any) -> OutboundEmail:
    defaults: dict[str, Any] = {
        "kind": "test",
        "to": "someone@example.test",
        "subject": "Subject",
        "body_text": "Body",
        "language": "en",
    }
    return OutboundEmail.objects.create(**{**defaults, **fields})


class Boom(Exception):
    pass


def queue_then_fail(person: User) -> None:
    """The change that causes the email fails after queueing it: its transaction rolls back."""
    with transaction.atomic():
        queue_reset_email(person)
        raise Boom


# Queueing ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_queueing_writes_the_rendered_row_and_enqueues_its_task_on_commit(
    person: User, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        email = queue_reset_email(person)
        assert not DBTaskResult.objects.exists()  # not before the transaction commits

    email.refresh_from_db()
    assert email.status == EmailStatus.QUEUED
    assert email.kind == "password_reset"
    assert email.to == "paul@bowman.test"
    assert email.language == "en"
    assert email.attempts == 0
    assert email.portal is None
    assert email.subject == "Reset your Portail password"
    assert "https://portail.example/accounts/password/reset/tok3n/" in email.body_text
    assert "https://portail.example/accounts/password/reset/tok3n/" in email.body_html
    assert queued_task_ids() == [email.pk]


@pytest.mark.django_db
def test_an_email_is_not_written_when_its_transaction_rolls_back(
    person: User, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Boom):
        queue_then_fail(person)

    assert callbacks == []
    assert not OutboundEmail.objects.exists()
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_email_is_neither_written_nor_sent_when_its_transaction_rolls_back(
    smtp_server: RecordingHandler,
) -> None:
    person = User.objects.create_user("paul@bowman.test", full_name="Paul")

    with pytest.raises(Boom):
        queue_then_fail(person)
    call_command("run_worker", "--batch", "--no-startup-delay", verbosity=0)

    assert not OutboundEmail.objects.exists()
    assert not DBTaskResult.objects.exists()
    assert smtp_server.received == []


@pytest.mark.django_db
def test_queueing_refuses_an_invalid_address(person: User) -> None:
    with pytest.raises(ValidationError):
        queue_reset_email(person, to="not an address")
    assert not OutboundEmail.objects.exists()


@pytest.mark.django_db
def test_queueing_keeps_the_portal_and_names_it_in_the_footer(world: World) -> None:
    email = queue_reset_email(world.admin.user, portal=world.portal)

    assert email.portal == world.portal
    assert "Sent by Portail for Acme Studio." in email.body_text
    assert "Sent by Portail for Acme Studio." in email.body_html


@pytest.mark.django_db
def test_an_unknown_language_falls_back_to_the_default(person: User, settings: Settings) -> None:
    email = queue_reset_email(person, language="de")
    assert email.language == settings.LANGUAGE_CODE


# Retrying a failed email ------------------------------------------------------------


@pytest.mark.django_db
def test_retry_queues_a_failed_email_again_from_zero_attempts(
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    email = make_row(status=EmailStatus.FAILED, attempts=8, last_error="550 no")

    with django_capture_on_commit_callbacks(execute=True):
        retried = services.outbox_retry(email=email)

    assert retried.status == EmailStatus.QUEUED
    assert retried.attempts == 0
    assert retried.next_attempt_at <= timezone.now()
    assert retried.last_error == "550 no"  # kept until the next attempt tells otherwise
    assert queued_task_ids() == [email.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("status", [EmailStatus.QUEUED, EmailStatus.SENT])
def test_retry_refuses_an_email_that_has_not_failed(status: str) -> None:
    fields: dict[str, Any] = {"status": status}
    if status == EmailStatus.SENT:
        fields["sent_at"] = timezone.now()
    email = make_row(**fields)

    with pytest.raises(ValidationError):
        services.outbox_retry(email=email)

    email.refresh_from_db()
    assert email.status == status
    assert not DBTaskResult.objects.exists()


# The reaper ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_reaper_requeues_a_row_stuck_in_sending_and_one_whose_task_was_lost(
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    now = timezone.now()
    stuck = make_row(
        status=EmailStatus.SENDING, attempts=1, claimed_at=now - dt.timedelta(minutes=6)
    )
    lost = make_row(next_attempt_at=now - dt.timedelta(minutes=11))
    in_flight = make_row(
        status=EmailStatus.SENDING, attempts=1, claimed_at=now - dt.timedelta(minutes=1)
    )
    just_due = make_row(next_attempt_at=now - dt.timedelta(minutes=1))
    later = make_row(next_attempt_at=now + dt.timedelta(minutes=30))
    old = now - dt.timedelta(days=1)
    done = make_row(status=EmailStatus.SENT, sent_at=old, next_attempt_at=old)
    failed = make_row(status=EmailStatus.FAILED, next_attempt_at=old)

    with django_capture_on_commit_callbacks(execute=True):
        count = services.outbox_reap(now=now)

    assert count == 2
    assert queued_task_ids() == sorted([stuck.pk, lost.pk])
    stuck.refresh_from_db()
    assert stuck.status == EmailStatus.QUEUED
    assert stuck.claimed_at is None
    assert stuck.next_attempt_at == now
    assert stuck.attempts == 1
    assert stuck.last_error == "The worker stopped while sending; queued again."
    lost.refresh_from_db()
    assert lost.status == EmailStatus.QUEUED
    assert lost.next_attempt_at == now
    for untouched, status in [
        (in_flight, EmailStatus.SENDING),
        (just_due, EmailStatus.QUEUED),
        (later, EmailStatus.QUEUED),
        (done, EmailStatus.SENT),
        (failed, EmailStatus.FAILED),
    ]:
        before = untouched.next_attempt_at
        untouched.refresh_from_db()
        assert (untouched.status, untouched.next_attempt_at) == (status, before)

    # The next pass adds no duplicate tasks: the clock of the rescued rows restarted.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.outbox_reap(now=now + dt.timedelta(minutes=1)) == 0
    assert DBTaskResult.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("minutes", [1, 5, 30])
def test_the_reaper_requeues_a_row_sending_for_longer_than_outbox_stuck_minutes_only(
    minutes: int, settings: Settings, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    settings.OUTBOX_STUCK_MINUTES = minutes
    now = timezone.now()
    over = make_row(
        status=EmailStatus.SENDING,
        attempts=1,
        claimed_at=now - dt.timedelta(minutes=minutes, seconds=1),
    )
    under = make_row(
        status=EmailStatus.SENDING,
        attempts=1,
        claimed_at=now - dt.timedelta(minutes=minutes, seconds=-1),
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert services.outbox_reap(now=now) == 1

    assert queued_task_ids() == [over.pk]
    over.refresh_from_db()
    under.refresh_from_db()
    assert over.status == EmailStatus.QUEUED
    assert (under.status, under.claimed_at) == (
        EmailStatus.SENDING,
        now - dt.timedelta(minutes=minutes, seconds=-1),
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "OUTBOX_STUCK_MINUTES must be at least 1 (minutes), not 0."),
        ("-5", "OUTBOX_STUCK_MINUTES must be at least 1 (minutes), not -5."),
    ],
)
def test_outbox_stuck_minutes_below_one_refuses_to_start(
    value: str, message: str, tmp_path: Path
) -> None:
    result = manage(tmp_path, "check", OUTBOX_STUCK_MINUTES=value)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


@pytest.mark.django_db
def test_the_reaper_fails_a_stuck_row_written_before_the_give_up_time(
    settings: Settings,
) -> None:
    settings.OUTBOX_GIVE_UP_AFTER = dt.timedelta(hours=48)
    now = timezone.now()
    email = make_row(
        status=EmailStatus.SENDING,
        attempts=30,
        claimed_at=now - dt.timedelta(minutes=6),
        created_at=now - dt.timedelta(hours=49),
    )

    assert services.outbox_reap(now=now) == 0

    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED
    assert (
        email.last_error == "The worker stopped while sending, and the email is too old to retry."
    )


@pytest.mark.django_db(transaction=True)
def test_a_reaped_row_is_then_delivered_by_the_worker(smtp_server: RecordingHandler) -> None:
    person = User.objects.create_user("paul@bowman.test", full_name="Paul")
    with transaction.atomic():
        email = queue_reset_email(person)
    # Its worker died mid-send six minutes ago, and the task with it.
    DBTaskResult.objects.update(status="RUNNING")
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=EmailStatus.SENDING,
        attempts=1,
        claimed_at=timezone.now() - dt.timedelta(minutes=6),
    )

    # run_worker --batch reaps once, then runs the tasks that are due.
    call_command("run_worker", "--batch", "--no-startup-delay", verbosity=0)

    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert email.attempts == 2
    assert len(smtp_server.messages) == 1
