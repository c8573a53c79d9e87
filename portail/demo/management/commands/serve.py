"""`manage.py serve`: the development web server and the task worker, together.

Starts `runserver` and `run_worker` as two child processes, each in its own
process group (so runserver's autoreloader child goes with it), prints where
to sign in once the server answers, stops both on Ctrl-C, SIGTERM or SIGHUP (a
closed terminal: the children sit in their own process groups, so nothing else
would stop them and they would keep the port), and stops the other when either
one exits. For production, run gunicorn and
`run_worker` under your process supervisor instead (README, "Production").
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portail.demo.management.commands.load_demo import (
    CLIENT,
    DEMO_PASSWORD,
    DEMO_PEOPLE,
    DEMO_PORTAL_NAME,
    DEMO_PORTAL_SLUG,
)
from portail.portals.models import Membership, Portal

WORKER_COMMAND = "run_worker"
STOP_GRACE_SECONDS = 10.0
# Ctrl-C, a process supervisor's stop, and a closed terminal.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
READY_TIMEOUT_SECONDS = 30.0


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host.strip("[]"), port), timeout=0.5):
            return True
    except OSError:
        return False


class Command(BaseCommand):
    help = "Run the development web server and the task worker together (Ctrl-C stops both)."
    # runserver runs the system checks itself; no need to run them twice.
    requires_system_checks = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on.")
        parser.add_argument(
            "--noreload",
            action="store_true",
            help="Do not restart the web server when code changes.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if WORKER_COMMAND not in get_commands():
            raise CommandError(
                f"The {WORKER_COMMAND!r} command is missing (portail.notifications)."
            )
        host: str = options["host"]
        port: int = options["port"]
        if _port_open(host, port):
            raise CommandError(
                f"Something already listens on {host}:{port}. Stop it, or choose another "
                "port: make run PORT=8001"
            )
        base = [sys.executable, "-m", "django"]
        web_argv = [*base, "runserver", f"{host}:{port}"]
        worker_argv = [*base, WORKER_COMMAND]
        # Both restart on code changes, or neither does.
        if options["noreload"]:
            web_argv.append("--noreload")
            worker_argv.append("--no-reload")
        else:
            worker_argv.append("--reload")
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE}
        # Links in emails point at this server unless the address was set on purpose.
        # (This compares the host asked for with the wildcard addresses; it binds nothing.)
        browsable = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104  # nosec B104
        env.setdefault("PORTAIL_BASE_URL", f"http://{browsable}:{port}")
        children: dict[str, subprocess.Popen[bytes]] = {}
        stopping: list[int] = []

        def forward(signum: int, _frame: FrameType | None) -> None:
            stopping.append(signum)

        previous = {sig: signal.signal(sig, forward) for sig in STOP_SIGNALS}
        try:
            # Own process groups: a terminal's Ctrl-C reaches only us, and we decide the order.
            children["web server"] = subprocess.Popen(web_argv, env=env, process_group=0)  # noqa: S603
            children["worker"] = subprocess.Popen(worker_argv, env=env, process_group=0)  # noqa: S603
            self._announce_when_ready(host, port, children, stopping)
            name, code = self._wait_for_first_exit(children, stopping)
        finally:
            self._stop_all(children)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if stopping:
            # After a SIGHUP the terminal may be gone: writing to it fails, and that is fine.
            with contextlib.suppress(OSError):
                self.stdout.write("Stopped the web server and the worker.")
            return
        raise CommandError(f"The {name} exited (code {code}); stopped the rest.")

    def _announce_when_ready(
        self,
        host: str,
        port: int,
        children: dict[str, subprocess.Popen[bytes]],
        stopping: list[int],
    ) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline and not stopping:
            if any(child.poll() is not None for child in children.values()):
                return
            if _port_open(host, port):
                break
            time.sleep(0.2)
        else:
            return
        shown_host = f"[{host}]" if ":" in host and not host.startswith("[") else host
        url = f"http://{shown_host}:{port}/"
        lines = ["", f"  Portail is running at {url}", "  and the task worker is running too."]
        lines += self._demo_sign_ins()
        lines += ["", "  Press Ctrl-C to stop both.", ""]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))

    def _demo_sign_ins(self) -> list[str]:
        portal = Portal.objects.filter(slug=DEMO_PORTAL_SLUG, name=DEMO_PORTAL_NAME).first()
        if portal is None:
            return []
        present = {
            m.user.email: m
            for m in Membership.objects.select_related("user").filter(
                portal=portal, user__email__in=[p.email for p in DEMO_PEOPLE]
            )
        }
        lines = ["", f"  Demo portal {DEMO_PORTAL_NAME!r}, password {DEMO_PASSWORD!r} for all:"]
        for person in DEMO_PEOPLE:
            if person.email in present:
                role = "client user" if person.role == CLIENT else str(person.role)
                lines.append(f"    {person.email:<28} {role}")
        return lines

    @staticmethod
    def _wait_for_first_exit(
        children: dict[str, subprocess.Popen[bytes]], stopping: list[int]
    ) -> tuple[str, int]:
        while not stopping:
            for name, child in children.items():
                code = child.poll()
                if code is not None:
                    return name, code
            time.sleep(0.2)
        return "", 0

    @staticmethod
    def _stop_all(children: dict[str, subprocess.Popen[bytes]]) -> None:
        """SIGTERM to each child's process group, then SIGKILL after a grace period."""
        for child in children.values():
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children.values():
            try:
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                # Still there after the grace period: end the whole group.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
                child.wait()
