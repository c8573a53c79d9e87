"""`run_worker` survives a database outage and an SMTP outage, with no manual step.

A real worker process talks to the test database (PostgreSQL only: SQLite's test
database lives in this process's memory) through a TCP proxy that the test stops
and starts again, and sends to a real SMTP server (aiosmtpd) that the test stops
and starts again.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
    connection,
    transaction,
)
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker

from portail.accounts.models import User
from portail.notifications import services
from portail.notifications.management.commands import run_worker
from portail.notifications.models import EmailStatus, OutboundEmail
from tests.notifications.conftest import RecordingHandler, free_port, queue_reset_email
from tests.notifications.test_worker import let_time_pass, wait_for

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the worker process needs a shared database"
)

# How long the database stays unreachable: the 30 s blip that used to stop every
# worker for good. It spans the whole backoff (waits of 1, 2, 4, 8 and 16 s).
DATABASE_OUTAGE_SECONDS = 30.0


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; `stop()` cuts everything, `start()` listens again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._listening = threading.Event()

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        listener.settimeout(0.1)
        self._listener = listener
        self._listening.set()
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        """Close the listener and every open connection: new connections are refused."""
        self._listening.clear()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while self._listening.is_set():
            try:
                client, _address = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@contextmanager
def smtp_listening(handler: RecordingHandler, port: int) -> Iterator[None]:
    controller = Controller(handler, hostname="127.0.0.1", port=port, server_hostname="localhost")
    controller.start()
    try:
        yield
    finally:
        controller.stop()


@contextmanager
def worker_process(
    *, database_port: int, smtp_port: int, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    settings = connection.settings_dict
    user = settings["USER"] or "postgres"
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portail.settings",
        "DATABASE_URL": f"postgres://{user}{password}@127.0.0.1:{database_port}/{settings['NAME']}",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "DEBUG": "true",
    }
    manage = [sys.executable, str(Path(django_settings.BASE_DIR) / "manage.py")]
    command = [*manage, "run_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2"]
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [*command, "--reap-interval", "1"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            yield worker
            if worker.returncode is None:  # still running: stop it as systemd would
                assert worker.poll() is None, log.read_text()
                worker.send_signal(signal.SIGTERM)
                assert worker.wait(timeout=15) == 0, log.read_text()
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()


def status_of(email: OutboundEmail) -> str:
    email.refresh_from_db()
    return email.status


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_worker_survives_a_database_outage_and_then_sends_what_was_queued(
    tmp_path: Path,
) -> None:
    smtp = RecordingHandler()
    smtp_port = free_port()
    proxy = TcpProxy(("127.0.0.1", int(connection.settings_dict["PORT"] or 5432)))
    proxy.start()
    paul = User.objects.create_user("paul@bowman.test", full_name="Paul Bowman")
    anna = User.objects.create_user("anna@bowman.test", full_name="Anna Bowman")
    log = tmp_path / "worker.log"
    try:
        with (
            smtp_listening(smtp, smtp_port),
            worker_process(database_port=proxy.port, smtp_port=smtp_port, log=log) as worker,
        ):
            with transaction.atomic():
                before = queue_reset_email(paul)
            wait_for(lambda: status_of(before) == EmailStatus.SENT, "the first email")

            proxy.stop()  # the worker's connections drop; new ones are refused
            with transaction.atomic():  # the test's own connection does not go through the proxy
                during = queue_reset_email(anna)
            wait_for(lambda: "Database unreachable" in log.read_text(), "the worker to notice")
            threading.Event().wait(DATABASE_OUTAGE_SECONDS)
            assert worker.poll() is None, log.read_text()
            assert status_of(during) == EmailStatus.QUEUED
            proxy.start()

            wait_for(lambda: status_of(during) == EmailStatus.SENT, "the email queued meanwhile")
            assert worker.poll() is None, log.read_text()
    finally:
        proxy.stop()

    output = log.read_text()
    assert "Traceback" not in output, output
    assert "Database unreachable (" in output
    assert "; retrying in 1 s" in output
    assert "; retrying in 2 s" in output
    assert "; retrying in 16 s" in output
    assert "Database reachable again" in output
    assert sorted(message["To"] for message in smtp.messages) == [
        "anna@bowman.test",
        "paul@bowman.test",
    ]
    assert before.attempts == 1
    assert during.attempts == 1


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_worker_survives_an_smtp_outage_and_sends_the_email_once_it_is_back(
    tmp_path: Path,
) -> None:
    smtp = RecordingHandler()
    smtp_port = free_port()  # nothing listens there yet: the SMTP server is down
    paul = User.objects.create_user("paul@bowman.test", full_name="Paul Bowman")
    database_port = int(connection.settings_dict["PORT"] or 5432)
    log = tmp_path / "worker.log"
    with worker_process(database_port=database_port, smtp_port=smtp_port, log=log) as worker:
        with transaction.atomic():
            email = queue_reset_email(paul)
        wait_for(lambda: status_of(email) == EmailStatus.QUEUED and email.attempts == 1, "a try")
        assert email.last_error.startswith("ConnectionRefusedError")
        assert worker.poll() is None, log.read_text()

        with smtp_listening(smtp, smtp_port):
            let_time_pass(31)  # the outbox's first retry waits 30 s; don't wait for real
            wait_for(lambda: status_of(email) == EmailStatus.SENT, "the retry to send it")
            assert worker.poll() is None, log.read_text()

    assert email.attempts == 2
    [message] = smtp.messages
    assert message["To"] == "paul@bowman.test"
    assert "Traceback" not in log.read_text()


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_worker_started_while_the_database_is_down_waits_and_stops_promptly_on_sigterm(
    tmp_path: Path,
) -> None:
    proxy = TcpProxy(("127.0.0.1", int(connection.settings_dict["PORT"] or 5432)))  # not started
    log = tmp_path / "worker.log"
    with worker_process(database_port=proxy.port, smtp_port=free_port(), log=log) as worker:
        wait_for(lambda: "retrying in 2 s" in log.read_text(), "two tries")
        assert worker.poll() is None, log.read_text()
        started = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=5) == 0, log.read_text()
        assert time.monotonic() - started < 2  # the wait between tries is cut short
    output = log.read_text()
    assert "Traceback" not in output, output
    assert "Outbox reaper: database unreachable (" in output


# The retry logic itself, without a database (these run on SQLite too).


def failing_database(failures: int) -> Callable[[], DatabaseError | InterfaceError | None]:
    """A `database_error` that answers `failures` times with an error, then succeeds."""
    errors = [OperationalError("connection refused\nIs the server running?")] * failures

    def database_error() -> DatabaseError | InterfaceError | None:
        return errors.pop(0) if errors else None

    return database_error


def test_the_waits_between_tries_double_from_1_s_up_to_30_s_then_the_loop_resumes(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    loops: list[str] = []

    def loop(self: object, *args: object, **options: object) -> None:
        loops.append("run")
        if len(loops) == 1:
            raise OperationalError("server closed the connection unexpectedly\nThis probably...")

    waits: list[float] = []
    monkeypatch.setattr(DbWorkerCommand, "handle", loop)
    monkeypatch.setattr(run_worker, "pause", waits.append)
    monkeypatch.setattr(run_worker, "database_error", failing_database(6))

    run_worker.Command().run_until_stopped(reload=False)

    assert loops == ["run", "run"]
    assert waits == [1, 2, 4, 8, 16, 30, 30]
    lines = [record.getMessage() for record in caplog.records]
    assert lines[0] == (
        "Database unreachable (server closed the connection unexpectedly); retrying in 1 s"
    )
    assert lines[1] == "Database unreachable (connection refused); retrying in 2 s"
    assert lines[-1] == "Database reachable again; the worker resumes"
    assert len(lines) == 8
    assert all(record.exc_info is None for record in caplog.records)


def test_a_stop_asked_during_a_task_is_obeyed_when_the_database_then_fails(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def loop(self: object, *args: object, **options: object) -> None:
        worker = Worker(
            queue_names=["default"],
            interval=1,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="w",
            excluded_queue_names=[],
        )
        worker.configure_signals()
        worker.running = False  # what SIGTERM does while a task runs
        raise OperationalError("server closed the connection unexpectedly")

    waits: list[float] = []
    monkeypatch.setattr(DbWorkerCommand, "handle", loop)
    monkeypatch.setattr(run_worker, "pause", waits.append)
    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        run_worker.Command().run_until_stopped(reload=False)
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])

    assert waits == []
    [record] = caplog.records
    assert record.getMessage() == (
        "Database unreachable (server closed the connection unexpectedly); stopping as asked"
    )


@pytest.mark.parametrize("error", [ProgrammingError("no such table"), ValueError("a bug")])
def test_an_error_that_is_not_an_outage_still_stops_the_worker(
    monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    def loop(self: object, *args: object, **options: object) -> None:
        raise error

    monkeypatch.setattr(DbWorkerCommand, "handle", loop)

    with pytest.raises(type(error)):
        run_worker.Command().run_until_stopped(reload=False)


def test_the_reaper_logs_one_line_without_traceback_when_the_database_is_down(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def outbox_reap() -> int:
        raise InterfaceError("connection already closed\nsecond line")

    monkeypatch.setattr(services, "outbox_reap", outbox_reap)
    reaper = run_worker.OutboxReaper(interval=60)

    reaper.start()
    reaper.stop(timeout=10)

    [record] = caplog.records
    assert record.getMessage() == (
        "Outbox reaper: database unreachable (connection already closed); trying again in 60s"
    )
    assert record.exc_info is None


def test_the_reaper_still_logs_the_traceback_of_a_bug(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def outbox_reap() -> int:
        raise ValueError("a bug")

    monkeypatch.setattr(services, "outbox_reap", outbox_reap)
    reaper = run_worker.OutboxReaper(interval=60)

    reaper.start()
    reaper.stop(timeout=10)

    [record] = caplog.records
    assert record.exc_info is not None
