"""`manage.py backup` and `manage.py restore` (portail.ops.backup): the restore drill.

The SQLite tests run the commands as subprocesses on a file database in a
temporary PORTAIL_VAR_DIR (the test database of pytest-django is in memory),
as an operator would.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.test_settings import NOT_INHERITED, ROOT


def manage(var: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in NOT_INHERITED and k not in {"DATABASE_URL", "SECRET_KEY"}
    }
    env["PORTAIL_VAR_DIR"] = str(var)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def ok(var: Path, *args: str) -> str:
    result = manage(var, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def demo_var(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A var folder with a migrated SQLite database holding the demo portal."""
    var = tmp_path_factory.mktemp("demo-var")
    ok(var, "migrate", "--no-input")
    ok(var, "load_demo")
    return var


@pytest.fixture
def var(demo_var: Path, tmp_path: Path) -> Path:
    """A fresh copy of the demo installation for one test (made while nothing writes)."""
    copy = tmp_path / "var"
    shutil.copytree(demo_var, copy)
    return copy


def dump(var: Path) -> str:
    return ok(var, "dumpdata", "--natural-foreign", "--exclude=sessions", "--indent=0")


def company_names(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT name FROM clients_clientcompany ORDER BY id")]


def test_the_restore_drill_gives_back_the_demo_portal_as_it_was_backed_up(var: Path) -> None:
    db = var / "portail.sqlite3"
    before = dump(var)
    names = company_names(db)
    assert names

    written = ok(var, "backup").split()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE clients_clientcompany SET name = name || ' (renamed)'")
        conn.execute("DELETE FROM projects_task")
    conn.close()
    assert dump(var) != before

    out = ok(var, "restore", written[0], "--yes")

    assert f"Restored {written[0]}" in out
    assert company_names(db) == names
    assert dump(var) == before


def test_backup_files_are_private_and_named_by_the_time(var: Path) -> None:
    backup, key = (Path(p) for p in ok(var, "backup").split())

    assert backup.parent == var / "backups"
    assert re.fullmatch(r"portail-\d{8}T\d{6}Z\.sqlite3", backup.name)
    assert key == backup.with_suffix(".secret_key")
    for path in (backup, key):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key.read_text() == (var / "secret_key").read_text()
    assert [p.name for p in backup.parent.iterdir() if p.name.startswith(".")] == []
    with sqlite3.connect(backup) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()


def test_backup_to_another_folder(var: Path, tmp_path: Path) -> None:
    target = tmp_path / "offsite" / "daily"

    written = ok(var, "backup", "--to", str(target)).split()

    assert [Path(p).parent for p in written] == [target, target]


def test_restore_puts_back_the_secret_key_file_that_was_backed_up(var: Path) -> None:
    backup = ok(var, "backup").split()[0]
    original = (var / "secret_key").read_text()
    (var / "secret_key").write_text("a key changed after the backup")
    # The installation must still use the file key: the running settings read it anew.
    out = ok(var, "restore", backup, "--yes")

    assert (var / "secret_key").read_text() == original
    assert stat.S_IMODE((var / "secret_key").stat().st_mode) == 0o600
    assert "secret_key" in out


def test_backup_while_another_connection_writes_is_a_consistent_copy(var: Path) -> None:
    db = var / "portail.sqlite3"
    writer = sqlite3.connect(db, isolation_level=None)
    try:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("PRAGMA wal_autocheckpoint=0")  # committed rows stay in the -wal file
        writer.execute("CREATE TABLE drill (n INTEGER)")
        writer.executemany("INSERT INTO drill VALUES (?)", [(n,) for n in range(500)])
        writer.execute("BEGIN IMMEDIATE")  # and a write in progress, not committed
        writer.execute("INSERT INTO drill VALUES (-1)")
        plain_copy = var / "plain-copy.sqlite3"
        shutil.copyfile(db, plain_copy)

        backup = ok(var, "backup").split()[0]
    finally:
        writer.execute("ROLLBACK")
        writer.close()

    with sqlite3.connect(plain_copy) as copied:
        # What a plain copy of the file loses, while passing the integrity check.
        assert copied.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert "drill" not in {r[0] for r in copied.execute("SELECT name FROM sqlite_master")}
    copied.close()
    with sqlite3.connect(backup) as conn:
        assert conn.execute("SELECT count(*), min(n) FROM drill").fetchone() == (500, 0)
    conn.close()


def test_restore_refuses_without_yes_and_changes_nothing(var: Path) -> None:
    backup = ok(var, "backup").split()[0]
    before = (var / "portail.sqlite3").read_bytes()

    result = manage(var, "restore", backup)

    assert result.returncode != 0
    assert "--yes" in result.stderr
    assert (var / "portail.sqlite3").read_bytes() == before


def test_restore_of_a_missing_file_is_a_clear_error(var: Path) -> None:
    result = manage(var, "restore", str(var / "nothing.sqlite3"), "--yes")

    assert result.returncode != 0
    assert "does not exist" in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PGDMP\x01\x0e\x00", "is a PostgreSQL backup; this installation uses SQLite"),
        (b"name,email\n", "is not a Portail backup"),
    ],
)
def test_restore_of_a_file_of_the_wrong_kind_is_refused(
    var: Path, content: bytes, message: str
) -> None:
    wrong = var / "wrong.dump"
    wrong.write_bytes(content)
    before = (var / "portail.sqlite3").read_bytes()

    result = manage(var, "restore", str(wrong), "--yes")

    assert result.returncode != 0
    assert message in result.stderr
    assert (var / "portail.sqlite3").read_bytes() == before


def test_restore_of_an_sqlite_file_that_is_not_portail_is_refused(var: Path) -> None:
    other = var / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()

    result = manage(var, "restore", str(other), "--yes")

    assert result.returncode != 0
    assert "not a Portail database" in result.stderr


def test_backup_into_a_folder_that_cannot_be_made_is_a_clear_error(
    var: Path, tmp_path: Path
) -> None:
    # (the tests may run as root, for whom no permission bit refuses a write)
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")

    result = manage(var, "backup", "--to", str(a_file / "backups"))

    assert result.returncode != 0
    assert f"Cannot create the backup folder {a_file / 'backups'}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (var / "backups").exists()


def test_backup_of_a_missing_database_is_a_clear_error_leaving_no_file(tmp_path: Path) -> None:
    result = manage(tmp_path, "backup")

    assert result.returncode != 0
    assert f"The database {tmp_path / 'portail.sqlite3'} does not exist." in result.stderr
    assert list((tmp_path / "backups").iterdir()) == []


@pytest.mark.parametrize(("typed", "restored"), [("no", False), ("yes", True)])
def test_restore_on_a_terminal_asks_to_type_yes(var: Path, typed: str, restored: bool) -> None:
    db = var / "portail.sqlite3"
    backup = ok(var, "backup").split()[0]
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE clients_clientcompany SET name = name || ' (renamed)'")
    conn.close()
    changed = company_names(db)
    env = {k: v for k, v in os.environ.items() if k not in {*NOT_INHERITED, "DATABASE_URL"}}
    env["PORTAIL_VAR_DIR"] = str(var)
    main, terminal = os.openpty()
    try:
        os.write(main, f"{typed}\n".encode())
        result = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "restore", backup],
            env=env,
            stdin=terminal,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    finally:
        os.close(terminal)
        os.close(main)

    assert "Type yes" in result.stdout
    assert (result.returncode == 0) is restored
    assert (company_names(db) != changed) is restored
    if not restored:
        assert "Restore cancelled; nothing was changed." in result.stderr


@pytest.mark.django_db(transaction=True)
def test_postgresql_backup_and_restore_with_pg_dump(tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: this run uses SQLite (the drill above covers it)")
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump/pg_restore are not on PATH (install postgresql-client)")
    from portail.accounts.models import User
    from portail.ops.backup import backup, restore

    User.objects.create_user(email="kept@example.com", password="x" * 16, full_name="Kept")
    written = backup(to=tmp_path)
    assert written.database.name.endswith(".dump")
    assert stat.S_IMODE(written.database.stat().st_mode) == 0o600
    User.objects.filter(email="kept@example.com").update(full_name="Changed")
    User.objects.create_user(email="later@example.com", password="x" * 16, full_name="Later")

    restore(source=written.database)

    assert User.objects.get(email="kept@example.com").full_name == "Kept"
    assert not User.objects.filter(email="later@example.com").exists()


@pytest.mark.django_db
def test_restore_of_an_sqlite_backup_on_postgresql_is_refused(tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: the SQLite side is tested above")
    from portail.ops.backup import BackupError, restore

    wrong = tmp_path / "portail.sqlite3"
    wrong.write_bytes(b"SQLite format 3\x00" + bytes(100))
    with pytest.raises(BackupError, match="is a SQLite backup; this installation uses PostgreSQL"):
        restore(source=wrong)


@pytest.mark.django_db
def test_postgresql_backup_without_pg_dump_names_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite backups need no outside tool")
    from portail.ops.backup import BackupError, backup

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(BackupError, match="pg_dump was not found on PATH"):
        backup(to=tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.django_db
def test_postgresql_backup_that_pg_dump_fails_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: the SQLite failures are tested above")
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not on PATH (install postgresql-client)")
    from django.db import connections

    from portail.ops.backup import BackupError, backup

    monkeypatch.setitem(connections["default"].settings_dict, "NAME", "portail_no_such_database")
    with pytest.raises(BackupError, match=r"pg_dump failed: .*portail_no_such_database"):
        backup(to=tmp_path)
    assert list(tmp_path.iterdir()) == []
