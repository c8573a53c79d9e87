"""Backups of the database (and the development secret key file) and their restore.

SQLite is copied with SQLite's online backup API (`sqlite3.Connection.backup`):
a plain copy of a database file being written can miss recent rows (WAL) yet
still pass the integrity check, whereas the backup API gives a consistent
snapshot. PostgreSQL is dumped with `pg_dump --format=custom` and restored with
`pg_restore`; the password goes through PGPASSWORD, never the command line.

Every file is written under a temporary name with mode 0600 and renamed only
once complete, so a failure leaves no half-written backup behind.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or a restore that could not be done; the message says why."""


@dataclass(frozen=True)
class Written:
    database: Path
    secret_key: Path | None


def _db() -> dict[str, Any]:
    return dict(connections["default"].settings_dict)


def _is_sqlite(db: dict[str, Any]) -> bool:
    return str(db["ENGINE"]) == "django.db.backends.sqlite3"


def _is_postgresql(db: dict[str, Any]) -> bool:
    return "postgresql" in str(db["ENGINE"])


def secret_key_file() -> Path | None:
    """The development secret key file, when this installation's SECRET_KEY comes from it."""
    path = Path(settings.VAR_DIR) / "secret_key"
    if os.environ.get("SECRET_KEY"):
        return None
    try:
        return path if path.read_text().strip() == settings.SECRET_KEY else None
    except OSError:
        return None


def _timestamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _new_private_file(path: Path) -> None:
    """Create an empty file readable by its owner only (fails if it exists)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _integrity(conn: sqlite3.Connection, what: str) -> None:
    rows = conn.execute("PRAGMA integrity_check").fetchall()
    if rows != [("ok",)]:
        raise BackupError(f"{what} failed the integrity check: {rows[:5]}")


def _pg_env_and_args(db: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = ["--no-password"]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            args.append(f"{option}={db[key]}")
    return env, args


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found on PATH: install the PostgreSQL client tools "
            f"(e.g. the postgresql-client package) in the version of the server."
        )
    return found


def backup(*, to: Path | None = None) -> Written:
    """Back up the database (and the development secret key file) into `to`."""
    folder = Path(to) if to is not None else Path(settings.VAR_DIR) / "backups"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"Cannot create the backup folder {folder}: {exc.strerror}") from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BackupError(f"The backup folder {folder} is not writable.")
    db = _db()
    stamp = _timestamp()
    if _is_sqlite(db):
        target = folder / f"portail-{stamp}.sqlite3"
        _atomic(target, lambda tmp: _sqlite_backup(Path(db["NAME"]), tmp))
    elif _is_postgresql(db):
        target = folder / f"portail-{stamp}.dump"
        _atomic(target, lambda tmp: _pg_dump(db, tmp))
    else:
        raise BackupError(f"Backups of {db['ENGINE']} databases are not supported.")
    key = secret_key_file()
    key_copy = None
    if key is not None:
        key_copy = folder / f"portail-{stamp}.secret_key"
        _atomic(key_copy, lambda tmp: tmp.write_bytes(key.read_bytes()))
    return Written(database=target, secret_key=key_copy)


def _atomic(target: Path, write: Any) -> None:
    if target.exists():
        raise BackupError(f"{target} already exists.")
    tmp = target.with_name(f".{target.name}.partial")
    try:
        tmp.unlink(missing_ok=True)
        _new_private_file(tmp)
        write(tmp)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise BackupError(f"Cannot write {target}: {exc.strerror or exc}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _sqlite_backup(live: Path, tmp: Path) -> None:
    if not live.is_file():
        raise BackupError(f"The database {live} does not exist.")
    source = sqlite3.connect(f"{live.resolve().as_uri()}?mode=ro", uri=True, timeout=20)
    try:
        copy = sqlite3.connect(tmp)
        try:
            source.backup(copy)
            _integrity(copy, f"The backup of {live}")
            # A self-contained file: no -wal beside it once it is closed.
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite backup of {live} failed: {exc}") from exc
    finally:
        source.close()


def _pg_dump(db: dict[str, Any], tmp: Path) -> None:
    env, args = _pg_env_and_args(db)
    command = [_tool("pg_dump"), "--format=custom", f"--file={tmp}", *args, str(db["NAME"])]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")


def _kind(path: Path) -> str:
    with path.open("rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "SQLite"
    if head.startswith(PGDUMP_MAGIC):
        return "PostgreSQL"
    return "unknown"


def restore(*, source: Path) -> list[Path]:
    """Replace the current database by the backup `source`; return the files restored."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"The backup file {source} does not exist.")
    db = _db()
    kind = _kind(source)
    expected = "SQLite" if _is_sqlite(db) else "PostgreSQL" if _is_postgresql(db) else None
    if expected is None:
        raise BackupError(f"Restoring {db['ENGINE']} databases is not supported.")
    if kind != expected:
        found = "not a Portail backup" if kind == "unknown" else f"a {kind} backup"
        raise BackupError(f"{source} is {found}; this installation uses {expected}.")
    connections.close_all()
    if expected == "SQLite":
        _sqlite_restore(source, Path(db["NAME"]))
    else:
        _pg_restore(db, source)
    restored = [source]
    key = secret_key_file()
    key_backup = source.with_suffix(".secret_key")
    if key is not None and key_backup.is_file():
        tmp = key.with_name(".secret_key.partial")
        tmp.unlink(missing_ok=True)
        _new_private_file(tmp)
        tmp.write_bytes(key_backup.read_bytes())
        os.replace(tmp, key)
        restored.append(key_backup)
    return restored


def _sqlite_restore(source: Path, live: Path) -> None:
    try:
        backup_db = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        try:
            _integrity(backup_db, f"The backup {source}")
            tables = {r[0] for r in backup_db.execute("SELECT name FROM sqlite_master")}
            if "django_migrations" not in tables:
                raise BackupError(f"{source} is an SQLite file but not a Portail database.")
            target = sqlite3.connect(live, timeout=20)
            try:
                backup_db.backup(target)
                _integrity(target, f"The restored database {live}")
            finally:
                target.close()
        finally:
            backup_db.close()
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite restore from {source} failed: {exc}") from exc


def _pg_restore(db: dict[str, Any], source: Path) -> None:
    env, args = _pg_env_and_args(db)
    command = [
        _tool("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        f"--dbname={db['NAME']}",
        *args,
        str(source),
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
