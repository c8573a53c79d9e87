"""`manage.py backup [--to DIR]`: a consistent copy of the database (see portail.ops.backup)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portail.ops.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite: online backup API; PostgreSQL: pg_dump custom format) "
        "and the development secret key file where it is used. Files are mode 0600."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--to", type=Path, default=None, help="Folder (default: PORTAIL_VAR_DIR/backups)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            written = backup(to=options["to"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(written.database))
        if written.secret_key is not None:
            self.stdout.write(str(written.secret_key))
