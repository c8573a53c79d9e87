"""Before migration clients/0003 rebuilds SQLite's case-insensitive unique indexes,
name the rows that would collide, so the person upgrading knows which to rename.

Indexes built before Portail gave SQLite a Unicode `lower()` (portail/sqlite_unicode.py)
folded ASCII letters only, so "ÉCOLE" and "école" could both be stored. The
migration's REINDEX would stop on such a pair without saying which rows; this
check runs first (`pre_migrate`, only while that migration is still to apply)
and lists every pair. The landed migration is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.management.base import CommandError
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

MIGRATION = ("clients", "0003_sqlite_unicode_case")


@dataclass(frozen=True)
class CaseInsensitiveIndex:
    """One unique index of migration 0003: which rows it covers and how it keys them."""

    table: str
    column: str
    trim: bool = False  # the key is lower(trim(column)), not lower(column)
    in_portal: bool = False  # unique within a portal
    live_only: bool = False  # rows with deleted_at set are not covered


INDEXES = (
    CaseInsensitiveIndex("accounts_user", "email"),
    CaseInsensitiveIndex("access_clientprofile", "name", trim=True, in_portal=True),
    CaseInsensitiveIndex(
        "clients_clientcompany", "name", trim=True, in_portal=True, live_only=True
    ),
)


def case_collisions(connection: BaseDatabaseWrapper) -> list[str]:
    """One line per pair of rows that the Unicode indexes would refuse, e.g.
    `accounts_user: #3 "ÉCOLE@x.test" and #7 "école@x.test"`.

    The keys are computed here, not in SQL: a query on lower(...) would be answered
    from the very index being checked, built with the old ASCII-only lower().
    """
    tables = set(connection.introspection.table_names())
    lines: list[str] = []
    with connection.cursor() as cursor:
        for index in INDEXES:
            if index.table not in tables:
                continue
            scope = '"portal_id"' if index.in_portal else "NULL"
            where = 'WHERE "deleted_at" IS NULL' if index.live_only else ""
            # Table and column names come from INDEXES above, never from input.
            columns = f'"id", "{index.column}", {scope}'
            sql = f'SELECT {columns} FROM "{index.table}" {where} ORDER BY "id"'  # noqa: S608  # nosec B608
            cursor.execute(sql)
            first: dict[tuple[object, str], tuple[int, str]] = {}
            for row_id, value, portal in cursor.fetchall():
                key = (portal, (value.strip(" ") if index.trim else value).lower())
                if key in first:
                    other_id, other_value = first[key]
                    lines.append(
                        f'{index.table}: #{other_id} "{other_value}" and #{row_id} "{value}"'
                    )
                else:
                    first[key] = (row_id, value)
    return lines


def check_before_reindex(
    sender: Any, *, plan: Any = None, using: str = "default", **_: Any
) -> None:
    """`pre_migrate` receiver: stop, naming the rows, before a REINDEX that would fail."""
    connection = connections[using]
    if connection.vendor != "sqlite" or not plan:
        return
    forwards = {
        (migration.app_label, migration.name) for migration, backwards in plan if not backwards
    }
    if MIGRATION not in forwards:
        return
    collisions = case_collisions(connection)
    if collisions:
        raise CommandError(
            "These rows differ only by letter case, which Portail's unique names no "
            "longer allow (migration clients/0003):\n  "
            + "\n  ".join(collisions)
            + "\nRename one row of each pair, then run migrate again."
        )
