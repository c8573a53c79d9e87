"""`manage.py run_worker`: the real task queue, the reaper thread, a clean shutdown."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from portail.accounts.models import User
from portail.notifications.management.commands.run_worker import OutboxReaper
from portail.notifications.models import EmailStatus, OutboundEmail
from tests.notifications.conftest import RecordingHandler, queue_reset_email


def run_worker_batch() -> None:
    call_command("run_worker", "--batch", "--no-startup-delay", verbosity=0)


def let_time_pass(seconds: int) -> None:
    """Move every due date back, as if `seconds` had passed."""
    delta = dt.timedelta(seconds=seconds)
    OutboundEmail.objects.update(next_attempt_at=F("next_attempt_at") - delta)
    DBTaskResult.objects.filter(status="READY").update(run_after=F("run_after") - delta)


@pytest.mark.django_db(transaction=True)
def test_the_worker_retries_a_temporary_failure_and_delivers_exactly_once(
    smtp_server: RecordingHandler,
) -> None:
    smtp_server.data_answers = ["451 4.3.0 Try again later"]
    person = User.objects.create_user("paul@bowman.test", full_name="Paul Bowman")
    with transaction.atomic():
        email = queue_reset_email(person)

    run_worker_batch()  # first attempt: 451; the retry waits 30 s, so the batch ends

    email.refresh_from_db()
    assert email.status == EmailStatus.QUEUED
    assert email.attempts == 1
    assert email.last_error.startswith("451")
    assert smtp_server.received == []
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after == email.next_attempt_at

    let_time_pass(31)
    run_worker_batch()
    run_worker_batch()  # nothing left to do: nothing sent twice

    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert email.attempts == 2
    [message] = smtp_server.messages
    assert message["To"] == "paul@bowman.test"
    assert sorted(DBTaskResult.objects.values_list("return_value", flat=True)) == [
        "retry",
        "sent",
    ]


@pytest.mark.django_db(transaction=True)
def test_the_worker_puts_the_previous_signal_handlers_back() -> None:
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    run_worker_batch()
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


@pytest.mark.django_db(transaction=True)
def test_the_reaper_thread_reaps_when_it_starts_and_stops_when_asked() -> None:
    stuck = OutboundEmail.objects.create(
        kind="test",
        to="someone@example.test",
        subject="Subject",
        body_text="Body",
        language="en",
        status=EmailStatus.SENDING,
        attempts=1,
        claimed_at=timezone.now() - dt.timedelta(minutes=6),
    )
    reaper = OutboxReaper(interval=60)

    reaper.start()
    reaper.stop(timeout=10)  # a pass runs first, whatever the interval

    assert not reaper.is_alive()
    stuck.refresh_from_db()
    assert stuck.status == EmailStatus.QUEUED
    assert DBTaskResult.objects.filter(status="READY").count() == 1


PLANT_STUCK_ROW = """
import datetime as dt
from django.utils import timezone
from portail.notifications.models import OutboundEmail
OutboundEmail.objects.create(
    kind="test", to="someone@example.test", subject="Stuck since its worker died",
    body_text="Body", language="en", status="sending", attempts=1,
    claimed_at=timezone.now() - dt.timedelta(minutes=6),
)
"""


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_the_worker_process_reaps_sends_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    database = tmp_path / "worker.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portail.settings",
        "DATABASE_URL": f"sqlite:///{database}",
        "PORTAIL_VAR_DIR": str(tmp_path),
        "EMAIL_URL": "consolemail://",
        "DEBUG": "true",
    }
    manage = [sys.executable, str(Path(django_settings.BASE_DIR) / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, capture_output=True)
    subprocess.run(
        [*manage, "shell", "-c", PLANT_STUCK_ROW], env=env, check=True, capture_output=True
    )

    def status() -> str:
        with closing(sqlite3.connect(database)) as db:
            [(value,)] = db.execute("SELECT status FROM notifications_outboundemail").fetchall()
            return str(value)

    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [*manage, "run_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            # The reaper re-queues the stuck row at start; the worker sends it (to the console).
            wait_for(lambda: status() == "sent", "the stuck email to be sent")
            assert worker.poll() is None, log.read_text()
            worker.send_signal(signal.SIGTERM)
            code = worker.wait(timeout=15)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    output = log.read_text()
    assert code == 0, output
    assert "Subject: Stuck since its worker died" in output
    assert "shutting down gracefully" in output
