"""`manage.py housekeeping` and the worker's daily pass: what is old goes, nothing else."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessLog
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings

from portail.accounts.models import UserSession
from portail.notifications import housekeeping, services
from portail.notifications.housekeeping import TASK_STALE_AFTER, housekeeping_run
from portail.notifications.management.commands import run_worker
from portail.notifications.models import EmailStatus, OutboundEmail
from tests.test_settings import manage

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)


def email(*, status: str, age: dt.timedelta) -> OutboundEmail:
    return OutboundEmail.objects.create(
        kind="test",
        to="someone@example.test",
        subject="Subject",
        body_text="Body",
        language="en",
        status=status,
        sent_at=NOW - age if status == EmailStatus.SENT else None,
        claimed_at=NOW - age if status == EmailStatus.SENDING else None,
        created_at=NOW - age,
    )


def task(*, status: str, **times: Any) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status=status,
        args_kwargs={"args": [1], "kwargs": {}},
        task_path="portail.notifications.tasks.email_send",
        backend_name="default",
        run_after=NOW - dt.timedelta(days=30),
        **times,
    )


def failure(*, age: dt.timedelta, address: str = "192.0.2.1") -> AccessAttempt:
    row = AccessAttempt.objects.create(
        username="paul@bowman.test",
        ip_address=address,
        user_agent="test",
        http_accept="*/*",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=3,
    )
    AccessAttempt.objects.filter(pk=row.pk).update(attempt_time=NOW - age)
    return row


def signin(*, age: dt.timedelta) -> AccessLog:
    row = AccessLog.objects.create(
        username="paul@bowman.test",
        ip_address="192.0.2.1",
        user_agent="test",
        http_accept="*/*",
        path_info="/accounts/login/",
    )
    AccessLog.objects.filter(pk=row.pk).update(attempt_time=NOW - age)
    return row


def session(key: str, *, expires_in: dt.timedelta) -> UserSession:
    return UserSession.objects.create(
        session_key=key, session_data="", expire_date=NOW + expires_in, user_id=None
    )


def ids(model: type[Any]) -> set[Any]:
    return set(model.objects.values_list("pk", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize("status", [EmailStatus.SENT, EmailStatus.FAILED, EmailStatus.CANCELLED])
def test_an_email_in_a_final_state_goes_once_older_than_outbox_keep_days(
    status: str, settings: Settings
) -> None:
    settings.OUTBOX_KEEP_DAYS = 30
    old = email(status=status, age=dt.timedelta(days=30) + SECOND)
    recent = email(status=status, age=dt.timedelta(days=30) - SECOND)

    report = housekeeping_run(now=NOW)

    assert report.emails == 1
    assert ids(OutboundEmail) == {recent.pk}
    assert old.pk not in ids(OutboundEmail)


@pytest.mark.django_db
@pytest.mark.parametrize("status", [EmailStatus.QUEUED, EmailStatus.SENDING])
def test_a_queued_or_sending_email_is_never_removed_whatever_its_age(
    status: str, settings: Settings
) -> None:
    settings.OUTBOX_KEEP_DAYS = 1
    kept = email(status=status, age=dt.timedelta(days=3650))

    assert housekeeping_run(now=NOW).emails == 0
    assert ids(OutboundEmail) == {kept.pk}


@pytest.mark.django_db
def test_finished_tasks_go_once_older_than_task_results_keep_days(settings: Settings) -> None:
    settings.TASK_RESULTS_KEEP_DAYS = 7
    horizon = NOW - dt.timedelta(days=7)
    old_done = task(status="SUCCESSFUL", started_at=horizon, finished_at=horizon - SECOND)
    old_failed = task(status="FAILED", started_at=horizon, finished_at=horizon - SECOND)
    recent = task(status="SUCCESSFUL", started_at=horizon, finished_at=horizon + SECOND)
    waiting = task(status="READY")

    report = housekeeping_run(now=NOW)

    assert report.task_results == 2
    assert ids(DBTaskResult) == {recent.pk, waiting.pk}
    assert not {old_done.pk, old_failed.pk} & ids(DBTaskResult)


@pytest.mark.django_db
def test_a_task_left_running_for_over_a_day_is_marked_failed_and_pruned_later(
    settings: Settings,
) -> None:
    settings.TASK_RESULTS_KEEP_DAYS = 7
    stale = task(status="RUNNING", started_at=NOW - TASK_STALE_AFTER - SECOND)
    running = task(status="RUNNING", started_at=NOW - TASK_STALE_AFTER + SECOND)

    report = housekeeping_run(now=NOW)

    assert report.stale_tasks == 1
    stale.refresh_from_db()
    running.refresh_from_db()
    assert (stale.status, stale.finished_at) == ("FAILED", NOW)
    assert "worker stopped" in stale.traceback
    assert (running.status, running.finished_at) == ("RUNNING", None)

    later = housekeeping_run(now=NOW + dt.timedelta(days=7) + SECOND)

    assert later.task_results == 1
    assert ids(DBTaskResult) == {running.pk}


@pytest.mark.django_db
def test_expired_sessions_go_and_live_ones_stay() -> None:
    session("expired", expires_in=-SECOND)
    session("live", expires_in=SECOND)

    assert housekeeping_run(now=NOW).sessions == 1
    assert ids(UserSession) == {"live"}


@pytest.mark.django_db
def test_sign_in_failures_go_once_past_the_cool_off() -> None:
    # AXES_COOLOFF_TIME is 1 hour: older failures no longer count towards a lock-out.
    old = failure(age=dt.timedelta(hours=1) + SECOND)
    counting = failure(age=dt.timedelta(hours=1) - SECOND, address="192.0.2.2")

    assert housekeeping_run(now=NOW).lockout_failures == 1
    assert ids(AccessAttempt) == {counting.pk}
    assert old.pk not in ids(AccessAttempt)


@pytest.mark.django_db
def test_successful_sign_ins_stay_for_lockout_history_days(settings: Settings) -> None:
    settings.LOCKOUT_HISTORY_DAYS = 90
    old = signin(age=dt.timedelta(days=90) + SECOND)
    known = signin(age=dt.timedelta(days=90) - SECOND)

    assert housekeeping_run(now=NOW).signin_history == 1
    assert ids(AccessLog) == {known.pk}
    assert old.pk not in ids(AccessLog)


@pytest.mark.django_db
def test_housekeeping_deletes_in_batches_until_nothing_is_left(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    monkeypatch.setattr(housekeeping, "HOUSEKEEPING_BATCH", 2)
    settings.OUTBOX_KEEP_DAYS = 1
    for _ in range(5):
        email(status=EmailStatus.SENT, age=dt.timedelta(days=2))

    assert housekeeping_run(now=NOW).emails == 5
    assert not OutboundEmail.objects.exists()


def old_rows_of_every_kind() -> None:
    email(status=EmailStatus.SENT, age=dt.timedelta(days=400))
    task(status="SUCCESSFUL", started_at=NOW, finished_at=NOW - dt.timedelta(days=400))
    task(status="RUNNING", started_at=NOW - dt.timedelta(days=2))
    session("expired", expires_in=-SECOND)
    failure(age=dt.timedelta(days=2))
    signin(age=dt.timedelta(days=400))


@pytest.mark.django_db
def test_a_dry_run_counts_everything_and_changes_nothing() -> None:
    old_rows_of_every_kind()
    before = [
        list(model.objects.order_by("pk").values())
        for model in (OutboundEmail, DBTaskResult, UserSession, AccessAttempt, AccessLog)
    ]

    report = housekeeping_run(now=NOW, dry_run=True)

    assert report == housekeeping.HousekeepingReport(
        emails=1,
        task_results=1,
        stale_tasks=1,
        sessions=1,
        lockout_failures=1,
        signin_history=1,
        dry_run=True,
    )
    after = [
        list(model.objects.order_by("pk").values())
        for model in (OutboundEmail, DBTaskResult, UserSession, AccessAttempt, AccessLog)
    ]
    assert after == before


@pytest.mark.django_db
def test_a_second_run_finds_nothing_left() -> None:
    old_rows_of_every_kind()
    housekeeping_run(now=NOW)

    assert housekeeping_run(now=NOW) == housekeeping.HousekeepingReport(
        emails=0,
        task_results=0,
        stale_tasks=0,
        sessions=0,
        lockout_failures=0,
        signin_history=0,
        dry_run=False,
    )


def run_command(*args: str) -> list[str]:
    out = StringIO()
    call_command("housekeeping", *args, stdout=out)
    return out.getvalue().splitlines()


EXPECTED_LINES = [
    "Outbox: 1 emails older than 90 days {done}",
    "Tasks: 1 left running for over a day by a stopped worker {marked}",
    "Tasks: 1 finished tasks older than 7 days {done}",
    "Sessions: 1 expired sessions {done}",
    "Lock-out: 1 sign-in failures past the cool-off {done}",
    "Lock-out: 1 successful sign-ins older than 90 days {done}",
]


@pytest.mark.django_db
def test_the_command_prints_one_line_per_kind_and_removes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    old_rows_of_every_kind()

    lines = run_command()

    assert lines == [line.format(done="removed", marked="marked failed") for line in EXPECTED_LINES]
    assert not OutboundEmail.objects.exists()
    assert not AccessLog.objects.exists()


@pytest.mark.django_db
def test_the_command_with_dry_run_says_what_would_go_and_removes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    old_rows_of_every_kind()

    lines = run_command("--dry-run")

    assert lines == [
        line.format(done="would be removed", marked="would be marked failed")
        for line in EXPECTED_LINES
    ]
    assert OutboundEmail.objects.count() == 1
    assert DBTaskResult.objects.filter(status="RUNNING").count() == 1


@pytest.mark.parametrize(
    "variable", ["OUTBOX_KEEP_DAYS", "TASK_RESULTS_KEEP_DAYS", "LOCKOUT_HISTORY_DAYS"]
)
def test_a_keep_days_setting_below_one_refuses_to_start(variable: str, tmp_path: Path) -> None:
    result = manage(tmp_path, "check", **{variable: "0"})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{variable} must be at least 1 (days), not 0." in result.stderr


# The worker's daily pass ----------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_worker_housekeeps_after_its_first_reap_then_once_a_day(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runs: list[float] = []
    clock = Clock()
    monkeypatch.setattr(services, "outbox_reap", lambda: 0)
    monkeypatch.setattr(housekeeping, "housekeeping_run", lambda: runs.append(clock.now))
    reaper = run_worker.OutboxReaper(interval=60, clock=clock)

    reaper.run_pass()  # at start
    for _ in range(1439):  # every minute of the day that follows
        clock.now += 60
        reaper.run_pass()
    assert runs == [1000.0]

    clock.now += 60  # a day after the first run
    reaper.run_pass()
    reaper.run_pass()
    assert runs == [1000.0, 1000.0 + 86400]


def test_the_worker_housekeeps_only_after_a_reap_that_worked_and_retries_after_an_outage(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from django.db import OperationalError

    runs: list[str] = []
    database_down = True

    def reap() -> int:
        if database_down:
            raise OperationalError("could not connect to server")
        return 0

    def housekeep() -> None:
        runs.append("ran")

    monkeypatch.setattr(services, "outbox_reap", reap)
    monkeypatch.setattr(housekeeping, "housekeeping_run", housekeep)
    reaper = run_worker.OutboxReaper(interval=60, clock=Clock())

    reaper.run_pass()
    assert runs == []
    assert [r.getMessage() for r in caplog.records] == [
        "Outbox reaper: database unreachable (could not connect to server); trying again in 60s"
    ]

    database_down = False
    reaper.run_pass()
    reaper.run_pass()
    assert runs == ["ran"]


def test_a_housekeeping_outage_is_retried_at_the_next_pass_and_a_bug_the_next_day(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from django.db import OperationalError

    errors: list[Exception] = [OperationalError("server closed the connection"), ValueError("bug")]
    runs: list[str] = []

    def housekeep() -> None:
        runs.append("tried")
        if errors:
            raise errors.pop(0)

    clock = Clock()
    monkeypatch.setattr(services, "outbox_reap", lambda: 0)
    monkeypatch.setattr(housekeeping, "housekeeping_run", housekeep)
    reaper = run_worker.OutboxReaper(interval=60, clock=clock)

    reaper.run_pass()  # outage: one line, tried again at the next pass
    reaper.run_pass()  # a bug: traceback, tried again the next day
    reaper.run_pass()
    assert runs == ["tried", "tried"]
    outage, bug = caplog.records
    assert outage.getMessage() == (
        "Housekeeping: database unreachable (server closed the connection); trying again in 60s"
    )
    assert outage.exc_info is None
    assert bug.getMessage() == "Housekeeping pass failed; trying again in 86400s"
    assert bug.exc_info is not None

    clock.now += 86400
    reaper.run_pass()
    assert runs == ["tried", "tried", "tried"]
