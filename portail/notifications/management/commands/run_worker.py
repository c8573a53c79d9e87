"""`manage.py run_worker`: the task worker, plus the outbox reaper.

It is django-tasks-db's `db_worker` (same options, same loop: its `Worker`
class), with one addition: a reaper thread that calls
`notifications.services.outbox_reap` every `OUTBOX_REAP_INTERVAL` seconds,
because the outbox row, not the task queue, is the source of truth. The same
thread runs `manage.py housekeeping` once a day (HOUSEKEEPING_EVERY).

A database outage does not stop it: when the database cannot be reached, the
worker closes its connections, logs one line per try (no traceback), waits
1 s, 2 s, 4 s... (at most DB_RETRY_MAX_DELAY), and resumes its loop once the
database answers again. The reaper logs one line and tries again at its next pass.
SMTP outages are the outbox's business: the email stays queued and is retried.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import os
import signal
import threading
import time
from argparse import ArgumentParser, ArgumentTypeError
from collections.abc import Callable
from typing import Any, Literal

from django.conf import settings
from django.db import (
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    NotSupportedError,
    ProgrammingError,
    connections,
)
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker

from portail.notifications import housekeeping, services

logger = logging.getLogger(__name__)

# The reaper's daily housekeeping pass (portail.notifications.housekeeping): right
# after the first reap that succeeds, then once every HOUSEKEEPING_EVERY. The last run
# is remembered in memory, per worker: with several workers it runs in each, which is
# harmless (housekeeping is idempotent, and a pass that finds nothing old is a few
# indexed queries), and needs no shared "who runs today" row that could be left claimed
# by a worker killed mid-pass.
HOUSEKEEPING_EVERY = dt.timedelta(days=1)
# How long shutdown waits for a reaper pass in progress (the thread is a daemon anyway).
REAPER_STOP_TIMEOUT = 30.0
_WORKER_SIGNALS = [signal.SIGINT, signal.SIGTERM]
if hasattr(signal, "SIGQUIT"):
    _WORKER_SIGNALS.append(signal.SIGQUIT)


# Waits between two tries when the database is unreachable: 1 s, doubling, at most this.
DB_RETRY_FIRST_DELAY = 1.0
DB_RETRY_MAX_DELAY = 30.0
# Errors of the query or the data (bugs, not outages): today's behaviour, the worker exits.
_NOT_AN_OUTAGE = (DataError, IntegrityError, NotSupportedError, ProgrammingError)
# (InterfaceError, e.g. "connection already closed", is not a DatabaseError in PEP 249.)
_DATABASE_ERRORS = (DatabaseError, InterfaceError)


def is_database_outage(error: BaseException) -> bool:
    """A lost or refused connection (OperationalError, InterfaceError...), not a bad query."""
    return isinstance(error, _DATABASE_ERRORS) and not isinstance(error, _NOT_AN_OUTAGE)


def one_line(error: BaseException) -> str:
    """The first line of the error's message (a driver's message can span several)."""
    lines = str(error).strip().splitlines()
    return (lines[0].strip() if lines else type(error).__name__)[:200]


def close_connections() -> None:
    """Close this thread's connections; a connection already broken may fail to close."""
    with contextlib.suppress(*_DATABASE_ERRORS):
        connections.close_all()


def database_error() -> DatabaseError | InterfaceError | None:
    """None if the default database answers a query now, else why not (closed after)."""
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
        return None
    except _DATABASE_ERRORS as error:
        return error
    finally:
        close_connections()


def stop_requested() -> bool:
    """Whether SIGINT/SIGTERM reached the Worker (during a task, it only notes the request)."""
    handler = signal.getsignal(signal.SIGTERM)
    worker = getattr(handler, "__self__", None)
    return isinstance(worker, Worker) and not worker.running


def pause(seconds: float) -> None:
    """Wait between two tries (a signal's handler may end the wait: the worker's exits)."""
    time.sleep(seconds)


def positive_seconds(value: str) -> float:
    seconds = float(value)
    if not math.isfinite(seconds) or seconds <= 0:
        raise ArgumentTypeError("Must be a number of seconds greater than zero")
    return seconds


class OutboxReaper(threading.Thread):
    """Runs `outbox_reap` now, then every `interval` seconds, until `stop()`; and,
    after a reap that succeeded, `housekeeping_run` when a day has passed since its
    last run (HOUSEKEEPING_EVERY; `clock` is time.monotonic, replaced in tests)."""

    def __init__(
        self,
        *,
        interval: float,
        housekeeping_every: dt.timedelta = HOUSEKEEPING_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(name="outbox-reaper", daemon=True)
        self.interval = interval
        self.housekeeping_every = housekeeping_every.total_seconds()
        self.clock = clock
        self.housekept_at: float | None = None
        self._stopping = threading.Event()

    def run(self) -> None:
        while True:
            self.run_pass()
            if self._stopping.wait(self.interval):
                return

    def run_pass(self) -> None:
        """One reap, then the housekeeping if it is due, and only when the reap worked
        (with the database down it would fail too). A housekeeping pass stopped by a
        database outage is tried again at the next pass; one that fails otherwise (a
        bug: its traceback is logged) waits for the next day, not to log it every pass."""
        if self.guarded("Outbox reaper", services.outbox_reap) != "done":
            return
        if not self.housekeeping_due():
            return
        outcome = self.guarded(
            "Housekeeping",
            housekeeping.housekeeping_run,
            bug_retry=f"{self.housekeeping_every:g}s",
        )
        if outcome != "outage":
            self.housekept_at = self.clock()

    def housekeeping_due(self) -> bool:
        return (
            self.housekept_at is None or self.clock() - self.housekept_at >= self.housekeeping_every
        )

    def guarded(
        self, name: str, work: Callable[[], object], *, bug_retry: str | None = None
    ) -> Literal["done", "outage", "failed"]:
        """Run `work`; log a failure: one line for a database outage (tried again next
        pass), the traceback otherwise (tried again in `bug_retry`, default next pass)."""
        next_pass = f"{self.interval}s"
        try:
            work()
            return "done"
        except _DATABASE_ERRORS as error:
            if is_database_outage(error):
                logger.warning(
                    "%s: database unreachable (%s); trying again in %s",
                    name,
                    one_line(error),
                    next_pass,
                )
                return "outage"
            logger.exception("%s pass failed; trying again in %s", name, bug_retry or next_pass)
        except Exception:
            logger.exception("%s pass failed; trying again in %s", name, bug_retry or next_pass)
        finally:
            # This thread's own connection: don't hold one open between passes.
            close_connections()
        return "failed"

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
            self.run_until_stopped(*args, **options)
        finally:
            if reaper is not None:
                reaper.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def run_until_stopped(self, *args: Any, **options: Any) -> None:
        """db_worker's loop, started again whenever a database outage ends it.

        While the database is unreachable: one log line per try, waits doubling
        from DB_RETRY_FIRST_DELAY to DB_RETRY_MAX_DELAY. SIGINT/SIGTERM during a
        wait exits at once (the Worker's handler exits when no task is running).
        """
        while True:
            try:
                super().handle(*args, **options)
                return
            except _DATABASE_ERRORS as error:
                if not is_database_outage(error) or options["reload"]:
                    raise
                if stop_requested():
                    logger.warning("Database unreachable (%s); stopping as asked", one_line(error))
                    return
                self.wait_for_database(error)

    def wait_for_database(self, error: DatabaseError | InterfaceError) -> None:
        delay = DB_RETRY_FIRST_DELAY
        failure: DatabaseError | InterfaceError | None = error
        close_connections()
        while failure is not None:
            logger.warning("Database unreachable (%s); retrying in %g s", one_line(failure), delay)
            pause(delay)
            failure = database_error()
            delay = min(delay * 2, DB_RETRY_MAX_DELAY)
        logger.warning("Database reachable again; the worker resumes")
