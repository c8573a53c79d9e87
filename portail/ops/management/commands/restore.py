"""`manage.py restore FILE [--yes]`: replace the database by a backup (see portail.ops.backup)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portail.ops.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Replace the current database by a backup made by `manage.py backup` "
        "(and the development secret key file if one sits next to it)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The backup file.")
        parser.add_argument(
            "--yes", action="store_true", help="Do not ask: the current database is replaced."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source: Path = options["file"]
        if not options["yes"]:
            if not sys.stdin.isatty():
                raise CommandError(
                    "restore replaces the current database: run it again with --yes to confirm."
                )
            answer = input(f"This replaces the current database by {source}. Type yes: ")
            if answer.strip() != "yes":
                raise CommandError("Restore cancelled; nothing was changed.")
        try:
            restored = restore(source=source)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for path in restored:
            self.stdout.write(f"Restored {path}")
