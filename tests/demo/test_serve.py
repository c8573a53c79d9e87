"""`manage.py serve`, which `make run` ends with: web server and worker, together.

These start real processes on a free local port, against a SQLite database in
a temporary folder.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from portail.demo.management.commands.load_demo import DEMO_PASSWORD, DEMO_PEOPLE

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads children from /proc")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children_of(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:  # fields: state, ppid, ...
            found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Served:
    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process = process
        self.port = port
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        self.seen_children: set[int] = set()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.output.append(self.lines.get(timeout=0.5))
            except queue.Empty:
                continue
            if text in self.output[-1]:
                return
        pytest.fail(f"{text!r} not printed in {timeout}s:\n{''.join(self.output)}")

    def children(self) -> set[int]:
        """serve's children now; remembered, so that a failed test does not leave them running."""
        found = children_of(self.process.pid)
        self.seen_children |= found
        return found

    def rest_of_output(self) -> str:
        while not self.lines.empty():
            self.output.append(self.lines.get())
        return "".join(self.output)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Served]:
    not_inherited = ("DATABASE_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in not_inherited}
    env.update(PORTAIL_VAR_DIR=str(tmp_path), PYTHONUNBUFFERED="1")
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "--noinput"], ["load_demo"]):
        subprocess.run([*manage, *command], env=env, check=True, capture_output=True, timeout=120)
    port = free_port()
    process = subprocess.Popen(
        [*manage, "serve", "--port", str(port), "--noreload"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    served = Served(process, port)
    try:
        yield served
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pid in served.seen_children:
            if alive(pid):  # each child leads its own process group
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)


def test_it_serves_pages_prints_the_sign_ins_and_ctrl_c_stops_both(serve: Served) -> None:
    serve.wait_for("Press Ctrl-C to stop both.")
    children = serve.children()
    assert len(children) == 2

    signin = f"http://127.0.0.1:{serve.port}/accounts/signin/"
    with urllib.request.urlopen(signin) as response:
        assert response.status == 200

    serve.process.send_signal(signal.SIGINT)
    assert serve.process.wait(timeout=30) == 0
    output = serve.rest_of_output()
    assert f"Portail is running at http://127.0.0.1:{serve.port}/" in output
    assert DEMO_PASSWORD in output
    for person in DEMO_PEOPLE:
        assert person.email in output
    assert "Stopped the web server and the worker." in output
    assert not any(alive(pid) for pid in children)


def test_when_the_worker_dies_the_web_server_stops_too(serve: Served) -> None:
    serve.wait_for("Press Ctrl-C to stop both.")
    children = serve.children()
    worker = next(
        pid for pid in children if b"run_worker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    )

    os.kill(worker, signal.SIGKILL)

    assert serve.process.wait(timeout=30) == 1
    assert "The worker exited (code -9); stopped the rest." in serve.rest_of_output()
    assert not any(alive(pid) for pid in children)


def port_is_free(port: int) -> bool:
    """Nothing listens on the port, and a new server (as runserver does) can bind it."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            server.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_a_closed_terminal_sighup_stops_both_and_frees_the_port(serve: Served) -> None:
    serve.wait_for("Press Ctrl-C to stop both.")
    children = serve.children()
    assert len(children) == 2
    assert not port_is_free(serve.port)

    serve.process.send_signal(signal.SIGHUP)

    assert serve.process.wait(timeout=30) == 0
    assert "Stopped the web server and the worker." in serve.rest_of_output()
    assert not any(alive(pid) for pid in children)
    assert port_is_free(serve.port)
