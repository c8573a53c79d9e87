"""`make bench` (or `.venv/bin/python -m bench`): how fast Portail is, against issue 13's
targets. Options: `--scale small|large|all`, `--db sqlite|postgres|all` (default all of
both), `--requests N` timed requests per page (default 200), `--quick` (a short smoke
run: 20 requests, a few seconds of wrk; its figures are not to be quoted), `--rebuild`
(build the data again), `--postgres URL` (the database name gets `_small`/`_large`;
default: DATABASE_URL when it is PostgreSQL, else
postgres://postgres@127.0.0.1:5432/portail_bench). When PostgreSQL does not answer it
says so and runs SQLite only. Each page gets `--budget` seconds at most (default
120; a page cut short says how many requests it got). Time on the 2-core machine:
15 to 21 minutes on 30 November 2026, about half of it the 1,000-member tab and the
clone dialog at 200-460 ms a request; when every page meets its 50 ms target, about 8.

For each database and scale:

1. Data. `manage.py bench_data --scale <scale>` into its own database (SQLite files in
   var/bench/, PostgreSQL databases portail_bench_small and _large), once: a marker
   beside the SQLite files records the bench_data version built, and later runs reuse
   the data (migrations are applied every time). On PostgreSQL the tables are
   ANALYZEd each time, as autovacuum would soon do.
2. In process (bench/inprocess.py, Django's test client, DEBUG=false): a real session
   for the admin and for a client user; each key request's status, HTML size and query
   count (after warm-up); its **raw SQL time**: those statements re-run on a cursor,
   summed, p50 over repeats; the **bulk** actions, each in a rolled-back transaction
   (time is the median of 3 runs; queries of one run): clone a customisation to 1,000
   people of a project, add 500 people of a company to it, edit the permissions of a
   profile used by 1,000 people.
3. Over HTTP, as users run it: gunicorn with the repository's gunicorn.conf.py (else
   the README's flags), DEBUG=false, settings from the environment (bench.settings adds
   /__bench__/floor/ to the product's URLs), the session cookie, `X-Forwarded-Proto:
   https` as the TLS proxy sends. Requests one after another on one connection
   (http.client; warm-up, then N timed): **p50 / p95** ms. The **floor** is a constant
   view behind the whole middleware stack with the same signed-in session. **Ratio** =
   request p50 / (floor p50 + raw SQL p50): how close a page is to what it cannot go
   below (1 = no time of its own).
4. Throughput (large, PostgreSQL): `wrk` (16 connections, 20 s each; installed with
   apt-get when missing and root, else skipped loudly) on the floor, the client home
   and the 1,000-member tab: requests/s, p50/p99 ms, errors (responses other than
   2xx/3xx, socket errors; each URL is first checked to answer 200).

Then the targets of issue 13 (bench/targets.py) are printed with pass/fail, and
bench/results/latest.json (every figure, the machine, versions, settings) and
latest.md (the tables, for the README) are written. Exit status 1 when a target
fails, 2 when the harness itself could not run. The machine is shared and noisy:
compare ratios within one run, not absolute figures between runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import importlib.metadata
import json
import os
import platform
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import data, report, stats, targets, wrk
from bench.plan import BIG_TAB, CLIENT_HOME, FLOOR, KEY_REQUESTS, THROUGHPUT

ROOT = data.ROOT
RESULTS = ROOT / "bench" / "results"
FLOOR_PATH = "/__bench__/floor/"
README_GUNICORN = ["--workers", "3", "--timeout", "30"]  # README, "Production"
WRK_CONNECTIONS = 16


def say(*parts: object) -> None:
    print(*parts, flush=True)


def loud(message: str) -> None:
    bar = "*" * 76
    say(f"\n{bar}\n* {message}\n{bar}\n")


def secret_key() -> str:
    path = data.VAR / "secret_key"
    data.VAR.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def server_env(db: data.Database | None) -> dict[str, str]:
    """The environment of every process of the run: production settings (DEBUG=false)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "false",
        "SECRET_KEY": secret_key(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PORTAIL_BASE_URL": "https://127.0.0.1",
        "EMAIL_URL": "consolemail://",
        "STATIC_ROOT": str(data.VAR / "static"),
        "LOG_LEVEL": "WARNING",
        "PORTAIL_ZEAL": "false",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    if db is not None:
        env["DATABASE_URL"] = db.url
    return env


SHOWN_SETTINGS = ("DJANGO_SETTINGS_MODULE", "DEBUG", "ALLOWED_HOSTS", "PORTAIL_BASE_URL")


def gunicorn_command(port: int) -> tuple[list[str], str]:
    conf = ROOT / "gunicorn.conf.py"
    command = [sys.executable, "-m", "gunicorn", "portail.wsgi:application"]
    if conf.exists():
        how = "gunicorn -c gunicorn.conf.py"
        command += ["-c", str(conf)]
    else:
        how = "gunicorn " + " ".join(README_GUNICORN) + " (README; no gunicorn.conf.py)"
        command += README_GUNICORN
    return [*command, "--bind", f"127.0.0.1:{port}"], how


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """gunicorn on 127.0.0.1 for one database, its output in var/bench/."""

    def __init__(self, db: data.Database) -> None:
        self.port = free_port()
        command, self.how = gunicorn_command(self.port)
        self.log = data.VAR / f"gunicorn-{db.kind}-{db.scale}.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(  # noqa: S603
                command, env=server_env(db), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", FLOOR_PATH)
                connection.getresponse().read()
                connection.close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"gunicorn did not start: see {self.log}") from None
                time.sleep(0.3)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def headers(port: int, cookie: str) -> dict[str, str]:
    return {"Host": f"127.0.0.1:{port}", "Cookie": cookie, "X-Forwarded-Proto": "https"}


def latency(
    port: int, path: str, cookie: str, *, warmup: int, count: int, budget_s: float
) -> dict[str, Any]:
    """Sequential GETs on one keep-alive connection (reopened when the server closes
    it): warm-up, then `count` timed, or fewer when `budget_s` runs out."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    sent = headers(port, cookie)

    def get() -> tuple[int, str]:
        connection.request("GET", path, headers=sent)
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Location", "")

    try:
        for _ in range(warmup):
            status, location = get()
            if status != 200:
                return {"error": f"HTTP {status} {location}".strip()}
        seconds: list[float] = []
        started = time.perf_counter()
        while len(seconds) < count and time.perf_counter() - started < budget_s:
            begin = time.perf_counter()
            status, location = get()
            seconds.append(time.perf_counter() - begin)
            if status != 200:
                return {"error": f"HTTP {status} {location}".strip()}
    finally:
        connection.close()
    return stats.summary_ms(seconds)


def in_process(db: data.Database, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", dir=data.VAR, delete=False) as out:
        path = Path(out.name)
    command = [
        sys.executable,
        "-m",
        "bench.inprocess",
        "--scale",
        db.scale,
        "--out",
        str(path),
        "--repeats",
        str(args.sql_repeats),
        "--bulk-runs",
        str(args.bulk_runs),
    ]
    try:
        done = subprocess.run(command, env=server_env(db), cwd=ROOT, check=False)  # noqa: S603
        if done.returncode == 3:
            say(f"  {db.label}: no benchmark portal in the database: building it")
            data.prepare(db, server_env(db), rebuild=True)
            done = subprocess.run(command, env=server_env(db), cwd=ROOT, check=False)  # noqa: S603
        if done.returncode != 0:
            raise RuntimeError(f"bench.inprocess failed on {db.label} ({done.returncode})")
        result: dict[str, Any] = json.loads(path.read_text())
        return result
    finally:
        path.unlink(missing_ok=True)


def measure(db: data.Database, args: argparse.Namespace, wrk_binary: str | None) -> dict[str, Any]:
    started = time.monotonic()
    say(f"\n== {db.label} ({db.shown()})")
    say(f"  data: {data.prepare(db, server_env(db), rebuild=args.rebuild)}")
    inside = in_process(db, args)
    say(f"  in process (queries, raw SQL, bulk): {time.monotonic() - started:.0f} s")
    cookie_name = inside["cookie_name"]
    cookies = {who: f"{cookie_name}={key}" for who, key in inside["sessions"].items()}
    run: dict[str, Any] = {
        "db": db.kind,
        "scale": db.scale,
        "database": db.shown(),
        "db_version": inside["db_version"],
        "requests": inside["requests"],
        "bulk": inside["bulk"],
    }
    server = Server(db)
    run["gunicorn"] = server.how
    try:
        timing = {"warmup": args.warmup, "count": args.requests, "budget_s": args.budget}
        run["floor"] = latency(server.port, FLOOR_PATH, cookies["admin"], **timing)
        if "error" in run["floor"]:
            raise RuntimeError(f"the floor view answered {run['floor']['error']}")
        for request in KEY_REQUESTS:
            figures = run["requests"][request.name]
            if figures.get("error"):
                continue
            figures["http"] = latency(server.port, figures["path"], cookies[request.who], **timing)
            if "error" in figures["http"]:
                figures["error"] = figures.pop("http")["error"]
                continue
            figures["ratio"] = stats.ratio(
                figures["http"]["p50_ms"], run["floor"]["p50_ms"], figures["sql"]["p50_ms"]
            )
            if figures["http"]["n"] < args.requests:
                say(f"  {request.name}: only {figures['http']['n']} requests in {args.budget} s")
        if db.kind == "postgres" and db.scale == "large":
            run["throughput"] = throughput(server.port, run, cookies, args, wrk_binary)
    finally:
        server.stop()
    say(f"  done in {time.monotonic() - started:.0f} s")
    return run


def throughput(
    port: int,
    run: dict[str, Any],
    cookies: dict[str, str],
    args: argparse.Namespace,
    binary: str | None,
) -> dict[str, Any]:
    if binary is None:
        return {name: {"error": "wrk not installed"} for name in THROUGHPUT}
    paths = {
        FLOOR: (FLOOR_PATH, "admin"),
        CLIENT_HOME: (run["requests"][CLIENT_HOME]["path"], "client"),
        BIG_TAB: (run["requests"][BIG_TAB]["path"], "admin"),
    }
    out = {}
    for name in THROUGHPUT:
        path, who = paths[name]
        if name != FLOOR and run["requests"][name].get("error"):
            out[name] = {"error": run["requests"][name]["error"]}
            continue
        sent = headers(port, cookies[who])
        out[name] = wrk.run(
            binary,
            f"http://127.0.0.1:{port}{path}",
            {k: v for k, v in sent.items() if k != "Host"},
            connections=WRK_CONNECTIONS,
            seconds=args.wrk_seconds,
        )
        say(f"  wrk {name}: {out[name]}")
    return out


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.node()}, {platform.platform()}{', ' + model if model else ''}"


def options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=["small", "large", "all"], default="all")
    parser.add_argument("--db", choices=["sqlite", "postgres", "all"], default="all")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--budget", type=float, default=120.0, help="seconds at most per page")
    parser.add_argument("--wrk-seconds", type=int, default=20)
    parser.add_argument("--sql-repeats", type=int, default=30)
    parser.add_argument("--bulk-runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--rebuild", action="store_true", help="build the data again")
    parser.add_argument("--postgres", help="PostgreSQL URL (its database name gets _<scale>)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.warmup, args.wrk_seconds = 20, 3, 3
        args.sql_repeats, args.bulk_runs = 5, 1
    if args.requests < 1:
        parser.error("--requests must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    began = time.monotonic()
    scales = ["small", "large"] if args.scale == "all" else [args.scale]
    kinds = ["sqlite", "postgres"] if args.db == "all" else [args.db]
    postgres = data.postgres_base(args.postgres)
    if "postgres" in kinds:
        why = data.postgres_reachable(postgres)
        if why is not None:
            loud(f"PostgreSQL does not answer ({why}): running on SQLite only.")
            kinds = [k for k in kinds if k != "postgres"] or ["sqlite"]
    wrk_binary = None
    if "postgres" in kinds and "large" in scales:
        wrk_binary = wrk.ensure()
        if wrk_binary is None:
            loud("wrk is missing (apt-get install wrk, as root): throughput is NOT measured.")
    say("collecting static files (DEBUG=false serves them from the manifest)...")
    data.VAR.mkdir(parents=True, exist_ok=True)
    data.manage(server_env(None), "collectstatic", "--noinput", "-v", "0")
    runs = []
    try:
        for db in data.databases(kinds, scales, postgres):
            runs.append(measure(db, args, wrk_binary))
    except (RuntimeError, subprocess.CalledProcessError) as error:
        say(f"\nbench could not run: {error}")
        return 2
    versions = {run["db"]: run["db_version"] for run in runs}
    env = server_env(None)
    meta = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "django": importlib.metadata.version("django"),
        "postgres": versions.get("postgres"),
        "sqlite": versions.get("sqlite"),
        "gunicorn": {
            "version": importlib.metadata.version("gunicorn"),
            "how": runs[0]["gunicorn"] if runs else "",
        },
        "wrk": {
            "version": wrk.version(wrk_binary) if wrk_binary else None,
            "connections": WRK_CONNECTIONS,
            "seconds": args.wrk_seconds,
        },
        "settings": {name: env[name] for name in SHOWN_SETTINGS},
        "requests": args.requests,
        "warmup": args.warmup,
        "sql_repeats": args.sql_repeats,
        "bulk_runs": args.bulk_runs,
        "quick": args.quick,
        "seconds": round(time.monotonic() - began),
    }
    evaluated = targets.evaluate(runs)
    as_json, as_md = report.write(args.results, meta, runs, evaluated)
    say("\n" + report.markdown(meta, runs, evaluated))
    say(f"written: {as_json}, {as_md}")
    failed = [t for t in evaluated if t.passed is False]
    for target in failed:
        say(f"FAIL {target.name}: {target.figure} (target {target.limit})")
    say(f"bench took {meta['seconds']} s")
    return 1 if failed else 0
