"""Searching people by any part of their name or email (`icontains`, which PostgreSQL runs
as `UPPER(column) LIKE UPPER('%text%')`) served by trigram indexes on PostgreSQL (issue 13):
at 20,000 client users, matching the text against every person took 10 ms per query of
the client-users list's search; with these indexes, under a millisecond.

PostgreSQL only, and optional: the indexes need the `pg_trgm` extension (shipped with
PostgreSQL, "trusted" since version 13, so the database's owner may create it). Where it
cannot be created, the migration goes on without the indexes and searches work as before,
only slower. SQLite has no such index; its searches scan, as before.

The indexes are not in the models' state (Django's GinIndex would be emitted on SQLite
too); `python manage.py sqlmigrate accounts 0004` does not show them, this file does.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, migrations, transaction

log = logging.getLogger(__name__)

INDEXES = {
    "accounts_user_full_name_trgm": "UPPER(full_name::text)",
    "accounts_user_email_trgm": "UPPER(email::text)",
}


def create(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias):  # a savepoint: failing is allowed
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as error:
        log.warning(
            "pg_trgm could not be created (%s): people searches work without their "
            "trigram indexes, more slowly at scale.",
            error,
        )
        return
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON accounts_user "
            f"USING gin (({expression}) gin_trgm_ops)"
        )


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_two_factor_recovery_codes"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]
