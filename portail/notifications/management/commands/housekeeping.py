"""`manage.py housekeeping`: delete old outbox emails, task rows, sessions, lock-out records.

The rules are in portail.notifications.housekeeping; the worker runs them daily.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from portail.notifications.housekeeping import housekeeping_run


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


class Command(BaseCommand):
    help = (
        "Delete what has outlived its use: outbox emails sent, failed or cancelled more "
        "than OUTBOX_KEEP_DAYS ago (never queued or sending ones), finished task rows older "
        "than TASK_RESULTS_KEEP_DAYS (and tasks left running by a killed worker), expired "
        "sessions, sign-in failures past the lock-out cool-off, and successful sign-ins "
        "older than LOCKOUT_HISTORY_DAYS. The worker (run_worker) does it daily."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count what would be deleted, and delete nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = housekeeping_run(dry_run=options["dry_run"])
        done = "would be removed" if report.dry_run else "removed"
        marked = "would be marked failed" if report.dry_run else "marked failed"
        lines = [
            f"Outbox: {report.emails} emails older than {_days(settings.OUTBOX_KEEP_DAYS)} {done}",
            f"Tasks: {report.stale_tasks} left running for over a day by a stopped worker {marked}",
            f"Tasks: {report.task_results} finished tasks older than "
            f"{_days(settings.TASK_RESULTS_KEEP_DAYS)} {done}",
            f"Sessions: {report.sessions} expired sessions {done}",
            f"Lock-out: {report.lockout_failures} sign-in failures past the cool-off {done}",
            f"Lock-out: {report.signin_history} successful sign-ins older than "
            f"{_days(settings.LOCKOUT_HISTORY_DAYS)} {done}",
        ]
        for line in lines:
            self.stdout.write(line)
