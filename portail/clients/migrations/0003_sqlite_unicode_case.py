"""Rebuild the case-insensitive unique indexes of a SQLite database with the Unicode
`lower()` that portail.sqlite_unicode now gives every connection (PostgreSQL: nothing to do).

Indexes built before folded ASCII letters only. If two rows now collide ("ÉCOLE" and
"école"), the migration stops and names them, so that someone renames one and migrates again.
"""

from django.db import IntegrityError, migrations

INDEXES = {
    "accounts_user_email_ci_unique": ("accounts_user", "email"),
    "access_profile_name_unique_in_portal": ("access_clientprofile", "name"),
    "clients_company_name_unique_in_portal": ("clients_clientcompany", "name"),
}


def reindex(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "sqlite":
        return
    for index, (table, column) in INDEXES.items():
        try:
            schema_editor.execute(f'REINDEX "{index}"')
        except IntegrityError as error:
            raise RuntimeError(
                f"Two rows of {table} have a {column} that differs only by letter case "
                f"({index}); rename one of them, then run migrate again."
            ) from error


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("access", "0004_builtin_sees_project_users"),
        ("clients", "0002_invitation"),
    ]

    operations = [migrations.RunPython(reindex, migrations.RunPython.noop, elidable=True)]
