"""The benchmark databases: one per database kind and scale, built by `manage.py
bench_data` once and reused while bench_data builds the same rows (BENCH_DATA_VERSION,
kept in a marker file beside the SQLite files, var/bench/)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/portail_bench"


@dataclass(frozen=True)
class Database:
    kind: str  # "sqlite" or "postgres"
    scale: str
    url: str

    @property
    def label(self) -> str:
        return f"{self.kind} {self.scale}"

    @property
    def marker(self) -> Path:
        return VAR / f"{self.kind}-{self.scale}.built.json"

    def shown(self) -> str:
        """The URL without a password."""
        if self.kind == "sqlite":
            return self.url
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        netloc = f"{parts.username}@{host}" if parts.username else host
        if parts.port:
            netloc += f":{parts.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def bench_data_version() -> int:
    """BENCH_DATA_VERSION of portail/demo/bench_data.py, read without importing Django."""
    tree = ast.parse((ROOT / "portail" / "demo" / "bench_data.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "BENCH_DATA_VERSION" for t in node.targets
        ):
            return int(ast.literal_eval(node.value))
    raise RuntimeError("portail/demo/bench_data.py has no BENCH_DATA_VERSION")


def postgres_base(explicit: str | None) -> str:
    """The PostgreSQL URL whose database name gets `_<scale>`: --postgres, else
    DATABASE_URL when it is PostgreSQL, else postgres://postgres@127.0.0.1:5432/portail_bench."""
    if explicit:
        return explicit
    env = os.environ.get("DATABASE_URL", "")
    if env.startswith(("postgres://", "postgresql://")):
        return env
    return DEFAULT_POSTGRES


def databases(kinds: list[str], scales: list[str], postgres: str) -> list[Database]:
    out = []
    for kind in kinds:
        for scale in scales:
            if kind == "sqlite":
                url = f"sqlite:///{VAR / f'{scale}.sqlite3'}"
            else:
                parts = urlsplit(postgres)
                url = urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_{scale}"))
            out.append(Database(kind, scale, url))
    return out


def postgres_reachable(url: str) -> str | None:
    """None when the server answers, or why not."""
    import psycopg

    parts = urlsplit(url)
    try:
        with psycopg.connect(
            urlunsplit(parts._replace(scheme="postgresql", path="/postgres")), connect_timeout=3
        ):
            return None
    except psycopg.Error as error:
        return str(error).strip().splitlines()[0]


def postgres_create(url: str) -> None:
    """CREATE DATABASE unless it exists."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(
        urlunsplit(parts._replace(scheme="postgresql", path="/postgres")), autocommit=True
    ) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def postgres_analyze(url: str) -> None:
    """Table statistics for the rows just built, as autovacuum would gather them soon
    after (without them the planner guesses, and the first minutes measure that)."""
    import psycopg

    with psycopg.connect(urlunsplit(urlsplit(url)._replace(scheme="postgresql"))) as conn:
        conn.autocommit = True
        conn.execute("ANALYZE")


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, check=True
    )


def prepare(db: Database, env: dict[str, str], *, rebuild: bool = False) -> str:
    """Migrate, and build the data unless the marker says it is built at this version.
    Returns what was done, for the log."""
    VAR.mkdir(parents=True, exist_ok=True)
    if db.kind == "postgres":
        postgres_create(db.url)
    manage(env, "migrate", "--noinput", "-v", "0")
    version = bench_data_version()
    wanted = {"version": version, "scale": db.scale, "database": db.shown()}
    done = f"reused (bench_data version {version})"
    try:
        reuse = not rebuild and json.loads(db.marker.read_text()) == wanted
    except (OSError, ValueError):
        reuse = False
    if not reuse:
        db.marker.unlink(missing_ok=True)
        started = time.monotonic()
        # bench_data refuses DEBUG=false without --allow-production: its own database.
        manage(env, "bench_data", "--scale", db.scale, "--allow-production")
        db.marker.write_text(json.dumps(wanted) + "\n")
        done = f"built in {time.monotonic() - started:.0f} s (bench_data version {version})"
    if db.kind == "postgres":
        postgres_analyze(db.url)
    return done
