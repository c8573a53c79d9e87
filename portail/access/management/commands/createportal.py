"""`manage.py createportal`: a new portal, its first admin and its built-in client profile.

It lives in `access`, not `portals`, because the built-in profile is an access
concept and `portals` may not import `access` (DESIGN.md, layout).
"""

from __future__ import annotations

import getpass
import os
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from portail.access.profiles import client_profile_builtin
from portail.accounts.models import User, normalize_email
from portail.portals.services import portal_create

PASSWORD_ENV = "PORTAIL_ADMIN_PASSWORD"  # noqa: S105 (a variable name, not a secret)
# portal_create's error keys, as the options a person typed.
OPTION_FOR_FIELD = {
    "name": "--name",
    "slug": "--slug",
    "currency": "--currency",
    "time_zone": "--time-zone",
    "admin_email": "--admin-email",
    "admin_password": "--admin-password",
    "admin_full_name": "--admin-name",
}


class Command(BaseCommand):
    help = (
        "Create a portal, its first admin and its built-in client profile. The admin's "
        f"password comes from --admin-password, the {PASSWORD_ENV} environment variable, "
        "or a prompt. An existing person with that email address is made admin and keeps "
        "their password."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="The portal's name, e.g. 'Studio Nord'.")
        parser.add_argument(
            "--slug", required=True, help="Its address: /p/<slug>/ (lower-case, digits, hyphens)."
        )
        parser.add_argument("--admin-email", required=True, help="The first admin's email.")
        parser.add_argument(
            "--admin-password",
            help=f"The first admin's password (prefer the {PASSWORD_ENV} environment variable).",
        )
        parser.add_argument("--admin-name", default="", help="The first admin's full name.")
        parser.add_argument("--currency", default="EUR", help="ISO 4217 code (default EUR).")
        parser.add_argument("--time-zone", default="UTC", help="e.g. Europe/Paris (default UTC).")
        parser.add_argument(
            "--invoicing", action="store_true", help="Turn invoicing on for this portal."
        )

    def _password(self, options: dict[str, Any]) -> str | None:
        given: str | None = options["admin_password"] or os.environ.get(PASSWORD_ENV) or None
        if given is not None:
            return given
        if not sys.stdin.isatty():
            raise CommandError(
                f"No password for the admin: pass --admin-password or set {PASSWORD_ENV} "
                "(no terminal to ask on)."
            )
        first = getpass.getpass(f"Password for {options['admin_email']}: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        return first

    def handle(self, *args: Any, **options: Any) -> None:
        existing = User.objects.filter(email__iexact=normalize_email(options["admin_email"]))
        if existing.exists():
            # An existing account keeps its password: do not ask for one.
            password = None
            self.stdout.write(
                f"{options['admin_email']} already has an account; it becomes the admin "
                "and keeps its password."
            )
        else:
            password = self._password(options)
        try:
            with transaction.atomic():
                portal, membership = portal_create(
                    name=options["name"],
                    slug=options["slug"],
                    admin_email=options["admin_email"],
                    admin_password=password,
                    admin_full_name=options["admin_name"],
                    currency=options["currency"],
                    time_zone=options["time_zone"],
                    invoicing_enabled=options["invoicing"],
                )
                client_profile_builtin(portal=portal)
        except ValidationError as exc:
            lines = [
                f"{OPTION_FOR_FIELD.get(field, 'error')}: {message}"
                for field, messages in exc.message_dict.items()
                for message in messages
            ]
            raise CommandError("Could not create the portal.\n" + "\n".join(lines)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Created portal {portal.name!r} at /p/{portal.slug}/ "
                f"with admin {membership.user.email}."
            )
        )
