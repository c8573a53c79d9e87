"""`manage.py bench_data --scale small|large`: the benchmark portal (portail/demo/bench_data.py).

Replaces the portal `bench-<scale>` if it exists. Everyone's password is the published
BENCH_PASSWORD, so it refuses to run when DEBUG is false unless told otherwise.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portail.demo.bench_data import BENCH_PASSWORD, SCALES, bench_portal_build


class Command(BaseCommand):
    help = "Build the benchmark portal bench-<scale> (replacing it), in bulk and deterministically."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Build even when DEBUG is false (its password is public: don't, on real data).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError(
                "Refusing to build benchmark data with DEBUG=false: its accounts have a "
                "published password. Use a throw-away database (--allow-production to insist)."
            )
        started = time.monotonic()
        built = bench_portal_build(scale_name=options["scale"])
        seconds = time.monotonic() - started
        counts = ", ".join(f"{n:,} {what}" for what, n in built.counts.items())
        self.stdout.write(f"Built /p/{built.portal.slug}/ in {seconds:.0f} s: {counts}.")
        self.stdout.write(
            f"Sign in as {built.admin_email} (admin) or {built.client_email} (client on "
            f"{built.big_project.name}), password {BENCH_PASSWORD}."
        )
