"""manage.py createportal and load_demo."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Q

from portail.accounts.models import User
from portail.portals.management.commands import load_demo
from portail.portals.models import Membership, MembershipKind, Portal, StaffRole
from portail.projects.models import Milestone, Project, ProjectMember, Task
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
        assert not User.objects.exists()


def snapshot() -> dict[str, Any]:
    """Everything load_demo makes, by natural key, with the values that matter."""
    projects = Project.objects.annotate(
        total=Count("tasks"), done=Count("tasks", filter=Q(tasks__status="done"))
    ).order_by("name")
    return {
        "counts": {
            model.__name__: model.objects.count()
            for model in (User, Portal, Membership, Project, ProjectMember, Milestone, Task)
        },
        "portals": list(Portal.objects.values_list("slug", "name", "currency", "time_zone")),
        "memberships": sorted(
            Membership.objects.values_list("portal__slug", "user__email", "kind", "role", "status")
        ),
        "projects": list(
            projects.values_list(
                "name",
                "owner__user__email",
                "billing_method",
                "start_date",
                "end_date",
                "total",
                "done",
            )
        ),
        "members": sorted(
            ProjectMember.objects.values_list("project__name", "membership__user__email")
        ),
        "milestones": sorted(
            Milestone.objects.values_list("project__name", "title", "due_date", "closed_at")
        ),
        "tasks": sorted(
            Task.objects.values_list(
                "project__name",
                "title",
                "status",
                "due_date",
                "milestone__title",
                "assignee__user__email",
                "completed_at",
            )
        ),
    }


def load() -> str:
    out = io.StringIO()
    call_command("load_demo", "--allow-production", stdout=out)  # tests run with DEBUG=False
    return out.getvalue()


class TestLoadDemo:
    def test_loading_twice_gives_the_same_data(self) -> None:
        assert "Demo portal loaded" in load()
        first = snapshot()

        assert "nothing to do" in load()

        assert snapshot() == first
        assert first["counts"] == {
            "User": 4,
            "Portal": 1,
            "Membership": 4,
            "Project": 3,
            "ProjectMember": 6,
            "Milestone": 8,
            "Task": 24,
        }

    def test_it_fills_in_what_is_missing_and_keeps_what_was_changed(self) -> None:
        load()
        Task.objects.filter(title="Go live").delete()
        Project.objects.filter(name="Brand refresh").update(description="Changed by a person.")

        load()

        assert Task.objects.filter(title="Go live").count() == 1
        assert Project.objects.get(name="Brand refresh").description == "Changed by a person."

    def test_the_demo_people_sign_in_with_the_demo_password(self) -> None:
        load()

        people = {m.user.email: m for m in Membership.objects.select_related("user", "portal")}
        assert {email: (m.kind, m.role) for email, m in people.items()} == {
            "alice@studio-demo.test": (MembershipKind.STAFF, StaffRole.ADMIN),
            "marc@studio-demo.test": (MembershipKind.STAFF, StaffRole.MANAGER),
            "emma@studio-demo.test": (MembershipKind.STAFF, StaffRole.EMPLOYEE),
            "paul@bowman.com": (MembershipKind.CLIENT, ""),
        }
        for m in people.values():
            assert m.portal.slug == "demo"
            assert m.is_active
            assert m.user.check_password(load_demo.DEMO_PASSWORD)

    def test_the_projects_are_at_different_stages(self) -> None:
        load()

        projects = Project.objects.annotate(
            total=Count("tasks"), done=Count("tasks", filter=Q(tasks__status="done"))
        )
        percent = {p.name: round(100 * p.done / p.total) for p in projects}
        assert percent == {"Showroom website": 90, "Spring catalogue": 50, "Brand refresh": 17}
        assert len({p.billing_method for p in projects}) == 3
        emma_projects = ProjectMember.objects.filter(membership__user__email=load_demo.EMMA.email)
        assert emma_projects.count() == 2
        assert Task.objects.filter(assignee__isnull=False).exists()
        assert Task.objects.filter(due_date__isnull=False).exists()

    def test_it_refuses_a_production_installation(self, settings: Any) -> None:
        settings.DEBUG = False

        with pytest.raises(CommandError, match="Refusing to load the demo with DEBUG=false"):
            call_command("load_demo")
        assert not Portal.objects.exists()
