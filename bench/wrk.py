"""wrk, the HTTP load generator (Debian package `wrk`): its command and the figures
from its report (the parsing is pure; tests/test_bench_harness.py)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from typing import Any

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def duration_ms(text: str) -> float:
    """wrk's durations ("812.00us", "15.32ms", "1.02s", "1.50m") in milliseconds."""
    match = re.fullmatch(r"\s*([\d.]+)(us|ms|s|m)\s*", text)
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse(report: str) -> dict[str, Any]:
    """requests/s, p50 and p99 latency (ms), requests, and the errors: responses other
    than 2xx/3xx plus socket errors (connect, read, write, timeout)."""
    rps = re.search(r"Requests/sec:\s*([\d.]+)", report)
    total = re.search(r"(\d+) requests in ([\d.]+\w+)", report)
    if rps is None or total is None:
        raise ValueError("not a wrk report:\n" + report)
    latency = dict(re.findall(r"^\s*(50|99)%\s+([\d.]+(?:us|ms|s|m))\s*$", report, re.M))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", report)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", report
    )
    socket_errors = sum(int(n) for n in sockets.groups()) if sockets else 0
    http_errors = int(non_2xx.group(1)) if non_2xx else 0
    return {
        "rps": float(rps.group(1)),
        "requests": int(total.group(1)),
        "p50_ms": duration_ms(latency["50"]) if "50" in latency else None,
        "p99_ms": duration_ms(latency["99"]) if "99" in latency else None,
        "non_2xx": http_errors,
        "socket_errors": socket_errors,
        "errors": http_errors + socket_errors,
    }


def ensure() -> str | None:
    """The wrk binary, installed with apt-get when missing and we are root; None (with a
    loud message from the caller) otherwise."""
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)  # noqa: S607
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"],  # noqa: S607
        env=env,
        check=False,
    )
    return shutil.which("wrk")


def version(binary: str) -> str:
    done = subprocess.run([binary, "-v"], capture_output=True, text=True, check=False)  # noqa: S603
    first = (done.stdout or done.stderr).strip().splitlines()
    return first[0] if first else "unknown"


def run(
    binary: str, url: str, headers: dict[str, str], *, connections: int, seconds: int
) -> dict[str, Any]:
    command = [binary, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run(  # noqa: S603
        [*command, url], capture_output=True, text=True, check=False, timeout=seconds + 60
    )
    if done.returncode != 0:
        return {"error": f"wrk exited {done.returncode}: {done.stderr.strip()[:200]}"}
    return {**parse(done.stdout), "connections": connections, "seconds": seconds}
