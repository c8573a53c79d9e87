"""`manage.py run_worker`: the task worker, plus the outbox reaper.

It is django-tasks-db's `db_worker` (same options, same loop: its `Worker`
class), with one addition: a reaper thread that calls
`notifications.services.outbox_reap` every `OUTBOX_REAP_INTERVAL` seconds,
because the outbox row, not the task queue, is the source of truth.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import threading
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.conf import settings
from django.db import connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from portail.notifications import services

logger = logging.getLogger(__name__)

# How long shutdown waits for a reaper pass in progress (the thread is a daemon anyway).
REAPER_STOP_TIMEOUT = 30.0
_WORKER_SIGNALS = [signal.SIGINT, signal.SIGTERM]
if hasattr(signal, "SIGQUIT"):
    _WORKER_SIGNALS.append(signal.SIGQUIT)


def positive_seconds(value: str) -> float:
    seconds = float(value)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ArgumentTypeError("Must be a number of seconds greater than zero")
    return seconds


class OutboxReaper(threading.Thread):
    """Runs `outbox_reap` now, then every `interval` seconds, until `stop()`."""

    def __init__(self, *, interval: float) -> None:
        super().__init__(name="outbox-reaper", daemon=True)
        self.interval = interval
        self._stopping = threading.Event()

    def run(self) -> None:
        while True:
            try:
                services.outbox_reap()
            except Exception:
                logger.exception("Outbox reaper pass failed; trying again in %ss", self.interval)
            finally:
                # This thread's own connection: don't hold one open between passes.
                connections.close_all()
            if self._stopping.wait(self.interval):
                return

    def stop(self, timeout: float = REAPER_STOP_TIMEOUT) -> None:
        self._stopping.set()
        if self.is_alive():
            self.join(timeout)


class Command(DbWorkerCommand):
    help = (
        "Run the background task worker: sends the outbox's emails and runs every other "
        "task. It is django-tasks-db's db_worker (same options) plus the outbox reaper, "
        "which every --reap-interval seconds (default: OUTBOX_REAP_INTERVAL) re-queues "
        "emails stuck in flight or whose task was lost. Run one or more per installation; "
        "SIGINT or SIGTERM stops it cleanly after the task in progress. With --batch it "
        "reaps once, runs every task due, and exits."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--reap-interval",
            type=positive_seconds,
            default=float(settings.OUTBOX_REAP_INTERVAL),
            help="Seconds between two passes of the outbox reaper (default: %(default)r).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        reap_interval: float = options.pop("reap_interval")
        reaper: OutboxReaper | None = None
        # The Worker installs its own handlers (finish the task in progress, then exit);
        # put the previous ones back afterwards, for callers such as tests.
        previous = {sig: signal.getsignal(sig) for sig in _WORKER_SIGNALS}
        try:
            if options["batch"]:
                services.outbox_reap()
            elif not options["reload"] or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                # (Under --reload the parent process only restarts the child, which reaps.)
                reaper = OutboxReaper(interval=reap_interval)
                reaper.start()
            super().handle(*args, **options)
        finally:
            if reaper is not None:
                reaper.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
