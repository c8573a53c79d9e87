"""manage.py load_demo: the demo portal, loaded once and left alone after."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Q

from portail.access.models import ClientProfile, PermissionOverride
from portail.accounts.models import User
from portail.clients.models import ClientCompany, Invitation, ProjectClient
from portail.demo.management.commands import load_demo
from portail.portals.models import Membership, MembershipKind, MembershipStatus, Portal, StaffRole
from portail.projects.models import Milestone, Project, ProjectMember, Task
from portail.projects.permissions import TASKS_ADD, TASKS_VIEW

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, Any]:
    """Everything load_demo makes, by natural key, with the values that matter."""
    projects = Project.objects.annotate(
        total=Count("tasks"), done=Count("tasks", filter=Q(tasks__status="done"))
    ).order_by("name")
    return {
        "counts": {
            model.__name__: model.objects.count()
            for model in (
                User,
                Portal,
                Membership,
                Project,
                ProjectMember,
                Milestone,
                Task,
                ClientCompany,
                ProjectClient,
                Invitation,
                ClientProfile,
                PermissionOverride,
            )
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


def load(*args: str) -> str:
    out = io.StringIO()
    # Tests run with DEBUG=False, hence --allow-production.
    call_command("load_demo", "--allow-production", *args, stdout=out)
    return out.getvalue()


class TestLoadDemo:
    def test_loading_twice_gives_the_same_data(self) -> None:
        assert "Demo portal loaded" in load()
        first = snapshot()

        assert "already loaded" in load()

        assert snapshot() == first
        assert first["counts"] == {
            "User": 6,
            "Portal": 1,
            "Membership": 6,
            "Project": 3,
            "ProjectMember": 12,
            "Milestone": 8,
            "Task": 24,
            "ClientCompany": 2,
            "ProjectClient": 4,
            "Invitation": 1,
            "ClientProfile": 1,
            "PermissionOverride": 1,
        }

    def test_what_people_changed_in_the_demo_stays_as_they_left_it(self) -> None:
        load()
        Task.objects.filter(title="Go live").delete()
        Project.objects.filter(name="Brand refresh").update(name="Brand refresh 2027")
        before = snapshot()

        assert "already loaded" in load()  # what `make run` does at every start

        assert snapshot() == before
        assert not Project.objects.filter(name="Brand refresh").exists()

    def test_refresh_fills_in_what_is_missing_and_keeps_what_was_changed(self) -> None:
        load()
        Task.objects.filter(title="Go live").delete()
        Project.objects.filter(name="Brand refresh").update(description="Changed by a person.")

        load("--refresh")

        assert Task.objects.filter(title="Go live").count() == 1
        assert Project.objects.get(name="Brand refresh").description == "Changed by a person."

    def test_the_demo_people_sign_in_with_the_demo_password(self) -> None:
        load()

        people = {
            m.user.email: m
            for m in Membership.objects.select_related("user", "portal").filter(
                status=MembershipStatus.ACTIVE
            )
        }
        assert {email: (m.kind, m.role) for email, m in people.items()} == {
            "alice@studio-demo.test": (MembershipKind.STAFF, StaffRole.ADMIN),
            "marc@studio-demo.test": (MembershipKind.STAFF, StaffRole.MANAGER),
            "emma@studio-demo.test": (MembershipKind.STAFF, StaffRole.EMPLOYEE),
            "paul@bowman.com": (MembershipKind.CLIENT, ""),
            "sophie@bowman.com": (MembershipKind.CLIENT, ""),
        }
        for m in people.values():
            assert m.portal.slug == "demo"
            assert m.is_active
            assert m.user.check_password(load_demo.DEMO_PASSWORD)

    def test_the_demo_has_bowman_with_paul_and_a_second_company_with_a_pending_invitation(
        self,
    ) -> None:
        load()

        paul = Membership.objects.select_related("client_company", "client_profile").get(
            user__email=load_demo.PAUL.email
        )
        assert paul.client_company is not None
        assert paul.client_company.name == "Bowman Furniture's"
        assert paul.client_profile is not None
        assert paul.client_profile.is_builtin
        assert ProjectMember.objects.filter(membership=paul).count() == 3
        assert set(
            ProjectClient.objects.filter(is_primary=True).values_list("company__name", flat=True)
        ) == {"Bowman Furniture's"}
        claire = Membership.objects.get(user__email="claire@imprimerie-vasseur.test")
        assert claire.status == MembershipStatus.INVITED
        assert Invitation.objects.get(membership=claire).accepted_at is None
        assert not claire.user.has_usable_password()

    def test_the_demo_has_a_customised_client_user(self) -> None:
        load()

        (override,) = PermissionOverride.objects.select_related(
            "member__project", "member__membership__user"
        )
        assert override.member.membership.user.email == load_demo.SOPHIE.email
        assert override.member.project.name == "Brand refresh"
        assert override.permissions[TASKS_ADD] == "none"
        assert override.permissions[TASKS_VIEW] == "all"

    def test_the_demo_shows_most_work_to_clients_and_keeps_some_internal(self) -> None:
        load()

        assert not Milestone.objects.filter(client_visible=False).exists()
        assert set(Task.objects.filter(client_visible=False).values_list("title", flat=True)) == {
            "Photo retouching",
            "Survey of the current brand",
        }

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
