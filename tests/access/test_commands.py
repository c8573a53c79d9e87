"""manage.py createportal (in `access`: it gives the portal its built-in client profile)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from portail.access.catalogue import builtin_client_permissions
from portail.access.models import ClientProfile
from portail.accounts.models import User
from portail.portals.models import Membership, Portal, StaffRole
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

ADMIN_PASSWORD = "a long and unusual passphrase"


def createportal(*args: str, **options: Any) -> str:
    out = io.StringIO()
    call_command("createportal", *args, stdout=out, **options)
    return out.getvalue()


NORD = ("--name", "Studio Nord", "--slug", "nord", "--admin-email", "ada@nord.test")


class TestCreatePortal:
    def test_it_creates_the_portal_and_its_admin(self) -> None:
        out = createportal(*NORD, "--admin-password", ADMIN_PASSWORD, "--time-zone", "Europe/Paris")

        assert "Created portal 'Studio Nord' at /p/nord/ with admin ada@nord.test." in out
        admin = Membership.objects.select_related("portal", "user").get()
        assert (admin.portal.slug, admin.portal.time_zone, admin.role) == (
            "nord",
            "Europe/Paris",
            StaffRole.ADMIN,
        )
        assert admin.user.check_password(ADMIN_PASSWORD)

    def test_the_new_portal_has_its_built_in_client_profile_as_default(self) -> None:
        createportal(*NORD, "--admin-password", ADMIN_PASSWORD)

        profile = ClientProfile.objects.select_related("portal").get()
        assert (profile.portal.slug, profile.name, profile.is_builtin, profile.is_default) == (
            "nord",
            "Client",
            True,
            True,
        )
        assert profile.permissions == builtin_client_permissions()

    def test_it_takes_the_password_from_the_environment(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("PORTAIL_ADMIN_PASSWORD", ADMIN_PASSWORD)

        createportal(*NORD)

        assert User.objects.get().check_password(ADMIN_PASSWORD)

    def test_it_asks_for_the_password_twice_on_a_terminal(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("PORTAIL_ADMIN_PASSWORD", raising=False)
        monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
        answers = iter([ADMIN_PASSWORD, ADMIN_PASSWORD, ADMIN_PASSWORD, "typo"])
        monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

        createportal(*NORD)
        assert User.objects.get().check_password(ADMIN_PASSWORD)

        with pytest.raises(CommandError, match=r"The two passwords differ\."):
            createportal("--name", "B", "--slug", "b", "--admin-email", "b@b.test")

    def test_without_a_terminal_it_says_where_the_password_comes_from(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("PORTAIL_ADMIN_PASSWORD", raising=False)
        monkeypatch.setattr("sys.stdin", io.StringIO(""))

        with pytest.raises(CommandError, match="--admin-password or set PORTAIL_ADMIN_PASSWORD"):
            createportal(*NORD)
        assert not Portal.objects.exists()

    def test_an_existing_person_becomes_admin_without_a_password_prompt(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("PORTAIL_ADMIN_PASSWORD", raising=False)
        monkeypatch.setattr("sys.stdin", io.StringIO(""))
        existing = make_user("ada@nord.test")

        out = createportal(
            "--name", "Studio Nord", "--slug", "nord", "--admin-email", "ADA@nord.test"
        )

        assert "keeps its password" in out
        assert Membership.objects.get().user == existing
        existing.refresh_from_db()
        assert existing.check_password(PASSWORD)

    def test_it_refuses_a_duplicate_slug_with_a_clear_message(self) -> None:
        createportal(*NORD, "--admin-password", ADMIN_PASSWORD)

        with pytest.raises(CommandError) as exc:
            createportal(
                "--name", "Nord bis", "--slug", "nord", "--admin-email", "x@nord.test",
                "--admin-password", ADMIN_PASSWORD,
            )  # fmt: skip

        assert str(exc.value) == (
            "Could not create the portal.\n--slug: A portal with the address “nord” already exists."
        )
        assert Portal.objects.count() == 1

    def test_it_refuses_an_unknown_time_zone_with_a_clear_message(self) -> None:
        with pytest.raises(CommandError) as exc:
            createportal(*NORD, "--admin-password", ADMIN_PASSWORD, "--time-zone", "Paris")

        assert "--time-zone: Paris is not a known time zone." in str(exc.value)
        assert not Portal.objects.exists()
        assert not ClientProfile.objects.exists()
        assert not User.objects.exists()
