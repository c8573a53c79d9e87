"""An upgrade of a SQLite database whose names collide once case folding covers every
alphabet (migration clients/0003): `migrate` stops and names the rows (clients/upgrade.py)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from django.conf import settings


def manage(database: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portail.settings",
        "DATABASE_URL": f"sqlite:///{database}",
        "DEBUG": "true",
    }
    command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *arguments]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def insert(db: sqlite3.Connection, table: str, **values: object) -> int:
    """A row with `values` and a plain value for every other required column."""
    plain = {"integer": 0, "bool": 0, "datetime": "2026-01-01 00:00:00", "date": "2026-01-01"}
    for _cid, name, kind, not_null, default, primary in db.execute(f'PRAGMA table_info("{table}")'):
        if not_null and default is None and not primary and name not in values:
            values[name] = plain.get(kind.lower().split("(")[0], "")
    columns = ", ".join(f'"{name}"' for name in values)
    marks = ", ".join("?" for _ in values)
    cursor = db.execute(
        f'INSERT INTO "{table}" ({columns}) VALUES ({marks})',  # noqa: S608 (test tables)
        list(values.values()),
    )
    return int(cursor.lastrowid or 0)


def test_migrate_names_the_rows_that_differ_only_by_case_then_passes_once_renamed(
    tmp_path: Path,
) -> None:
    database = tmp_path / "old.sqlite3"
    before = manage(database, "migrate", "clients", "0002", "--no-input")
    assert before.returncode == 0, before.stderr
    # Written as an earlier Portail (or the sqlite3 shell) would: its lower() folds ASCII only.
    with closing(sqlite3.connect(database)) as db, db:
        upper = insert(db, "accounts_user", email="ÉCOLE@bowman.test", password="!")
        lower = insert(db, "accounts_user", email="école@bowman.test", password="!")
        portal = insert(db, "portals_portal", name="Acme", slug="acme")
        insert(db, "clients_clientcompany", portal_id=portal, name="Zoé SA")
        insert(db, "clients_clientcompany", portal_id=portal, name="ZOÉ SA ")
        other = insert(db, "portals_portal", name="Other", slug="other")
        insert(db, "clients_clientcompany", portal_id=other, name="zoé sa")  # another portal

    refused = manage(database, "migrate", "--no-input")

    assert refused.returncode != 0
    assert "Traceback" not in refused.stderr
    assert f'accounts_user: #{upper} "ÉCOLE@bowman.test" and #{lower} "école@bowman.test"' in (
        refused.stderr
    )
    assert 'clients_clientcompany: #1 "Zoé SA" and #2 "ZOÉ SA "' in refused.stderr
    assert "#3" not in refused.stderr
    assert "Rename one row of each pair, then run migrate again." in refused.stderr

    with closing(sqlite3.connect(database)) as db, db:
        db.execute("UPDATE accounts_user SET email = 'ecole@bowman.test' WHERE id = ?", [upper])
        db.execute("UPDATE clients_clientcompany SET name = 'Zoé SARL' WHERE id = 2")
    after = manage(database, "migrate", "--no-input")
    assert after.returncode == 0, after.stderr
