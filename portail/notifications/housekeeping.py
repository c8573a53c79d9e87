"""Housekeeping: delete what has outlived its use, so the database does not only grow.

`housekeeping_run` is the service behind `manage.py housekeeping`, which the
worker also runs daily (run_worker.OutboxReaper). Four kinds of rows:

- outbox emails in a final state (sent, failed, cancelled) written more than
  OUTBOX_KEEP_DAYS ago, bodies included; queued and sending emails are never
  deleted, whatever their age (the reaper and the worker still own them);
- django-tasks-db task rows: finished ones (successful or failed) finished
  more than TASK_RESULTS_KEEP_DAYS ago (django-tasks-db's own
  prune_db_task_results rule), and, first, rows left RUNNING for more than
  TASK_STALE_AFTER by a worker that was killed, which are marked failed so that
  they are deleted like any failed row once their time comes;
- expired sessions (the session engine's `clear_expired`);
- sign-in lock-out records: failures (axes' AccessAttempt) older than the
  cool-off, which no longer count, and successful sign-ins (AccessLog) older than
  LOCKOUT_HISTORY_DAYS.

Every kind is deleted in batches of HOUSEKEEPING_BATCH rows, each batch its own
transaction, so a first run over years of rows holds no lock for long. It is
idempotent: several workers running it at once, or twice in a day, delete
nothing twice and change nothing else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from axes.helpers import get_cool_off
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from portail.notifications.models import EmailStatus, OutboundEmail

# Rows deleted per statement (and per transaction).
HOUSEKEEPING_BATCH = 1000

# A task RUNNING this long lost its worker. The only task is email_send, which ends
# within seconds (EMAIL_TIMEOUT bounds each SMTP step), so a day is far beyond any real
# run. Marking such a row failed is safe: its outbox row, the source of truth, was
# already put back in the queue with a new task by the reaper (OUTBOX_STUCK_MINUTES,
# or failed for good past OUTBOX_GIVE_UP_HOURS), so nothing waits on this row; and if
# its worker somehow were still alive, its own final save would overwrite our mark.
TASK_STALE_AFTER = dt.timedelta(days=1)
STALE_TASK_ERROR = "The worker stopped while running this task (found by housekeeping)."

FINAL_EMAIL_STATUSES = (EmailStatus.SENT, EmailStatus.FAILED, EmailStatus.CANCELLED)


@dataclass(frozen=True)
class HousekeepingReport:
    """How many rows of each kind were deleted (or would be, on a dry run)."""

    emails: int
    task_results: int
    stale_tasks: int  # RUNNING rows marked failed
    sessions: int
    lockout_failures: int
    signin_history: int
    dry_run: bool


def housekeeping_run(
    *, now: dt.datetime | None = None, dry_run: bool = False
) -> HousekeepingReport:
    """Delete the rows past their horizon (see the module's docstring); count only if dry_run."""
    now = now or timezone.now()
    stale = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=now - TASK_STALE_AFTER
    )
    if dry_run:
        stale_tasks = stale.count()
    else:
        # Before the pruning below: once failed, they wait TASK_RESULTS_KEEP_DAYS.
        with transaction.atomic():
            stale_tasks = stale.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path="",
                traceback=STALE_TASK_ERROR,
            )
    prune = _count if dry_run else _delete_in_batches
    emails = prune(
        OutboundEmail.objects.filter(
            status__in=FINAL_EMAIL_STATUSES,
            created_at__lt=now - dt.timedelta(days=settings.OUTBOX_KEEP_DAYS),
        )
    )
    task_results = prune(
        DBTaskResult.objects.finished().filter(
            finished_at__lt=now - dt.timedelta(days=settings.TASK_RESULTS_KEEP_DAYS)
        )
    )
    # What SessionStore.clear_expired() does (`expire_date < now`), counted.
    session_model: type[Model] = import_module(
        settings.SESSION_ENGINE
    ).SessionStore.get_model_class()
    sessions = prune(session_model._default_manager.filter(expire_date__lt=now))
    # Failures count towards a lock-out only within the cool-off (lockout.py): older
    # ones are dead weight.
    cool_off: dt.timedelta = get_cool_off()
    lockout_failures = prune(AccessAttempt.objects.filter(attempt_time__lt=now - cool_off))
    # Successful sign-ins are kept much longer than the cool-off: lockout.py reads them as
    # the addresses a person signed in from before, and spares those addresses when the
    # account is attacked from elsewhere (limit 3). Deleting them early would let an
    # attacker lock a person out of their own office.
    signin_history = prune(
        AccessLog.objects.filter(
            attempt_time__lt=now - dt.timedelta(days=settings.LOCKOUT_HISTORY_DAYS)
        )
    )
    return HousekeepingReport(
        emails=emails,
        task_results=task_results,
        stale_tasks=stale_tasks,
        sessions=sessions,
        lockout_failures=lockout_failures,
        signin_history=signin_history,
        dry_run=dry_run,
    )


def _count(rows: QuerySet[Any]) -> int:
    return rows.count()


def _delete_in_batches(rows: QuerySet[Any]) -> int:
    """Delete the rows, HOUSEKEEPING_BATCH at a time; how many (of this model) went."""
    model = rows.model
    deleted = 0
    while True:
        with transaction.atomic():
            batch = list(rows.order_by("pk").values_list("pk", flat=True)[:HOUSEKEEPING_BATCH])
            if not batch:
                return deleted
            _total, per_model = model._default_manager.filter(pk__in=batch).delete()
            deleted += per_model.get(model._meta.label, 0)
