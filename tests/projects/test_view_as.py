"""Staff preview a project exactly as one of its client users sees it, read-only (RULES PE7).

The preview and the client's own page are built by the same function
(`selectors.client_project_view`), so they cannot drift apart.
"""

from __future__ import annotations

import re

import pytest
from django.shortcuts import resolve_url
from django.test import Client

from portail.access import rules
from portail.access.catalogue import Level, builtin_client_permissions
from portail.access.models import PermissionOverride
from portail.access.selectors import visible_projects
from portail.portals.models import Membership
from portail.projects import plans
from portail.projects.models import Project, ProjectMember, Task
from portail.projects.permissions import TASKS_ADD, TASKS_EDIT
from tests.conftest import World, make_member, make_project

pytestmark = pytest.mark.django_db


def view_as_url(project: Project, membership: Membership, slug: str = "acme") -> str:
    return resolve_url(
        "projects:view-as", portal_slug=slug, project_id=project.pk, membership_id=membership.pk
    )


def join(membership: Membership, project: Project) -> ProjectMember:
    return ProjectMember.objects.create(
        portal_id=project.portal_id, project=project, membership=membership
    )


@pytest.fixture
def paul_on_project(world: World) -> ProjectMember:
    """Paul on Website, with a visible task, an internal one and one he added."""
    member = join(world.client, world.project)
    launch = plans.milestone_create(project=world.project, title="Launch", client_visible=True)
    plans.task_create(
        project=world.project,
        title="Write copy",
        created_by=world.admin,
        milestone=launch,
        client_visible=True,
    )
    plans.task_create(project=world.project, title="Budget review", created_by=world.admin)
    plans.task_create(project=world.project, title="Task by Paul", created_by=world.client)
    return member


def acting_forms(content: str) -> list[str]:
    """The forms of the page that would change something (the sign-out one aside)."""
    return [
        action
        for action in re.findall(r'<form[^>]*action="([^"]*)"', content)
        if "/signout/" not in action
    ]


def test_pe7_view_as_shows_what_the_client_sees_and_has_no_forms(
    world: World, paul_on_project: ProjectMember
) -> None:
    response = world.client_for(world.admin).get(view_as_url(world.project, world.client))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Viewing as Paul Bowman (Bowman Test Co) — read-only" in content
    for text in ("Launch", "Write copy", "Task by Paul", "This client can:", "Tasks: Add"):
        assert text in content, text
    assert "Budget review" not in content
    assert "Internal" not in content
    assert acting_forms(content) == []
    assert "Add task" not in content
    assert 'name="title"' not in content
    # Their own task is marked as one they could edit; the staff one is not.
    assert content.count("can edit") == 1


def test_pe7_view_as_is_the_clients_own_page(world: World, paul_on_project: ProjectMember) -> None:
    own = world.client_for(world.client).get(
        resolve_url("projects:detail", portal_slug="acme", project_id=world.project.pk)
    )
    preview = world.client_for(world.manager).get(view_as_url(world.project, world.client))
    mine, theirs = own.context["view"], preview.context["view"]
    assert theirs.progress == mine.progress
    assert theirs.may == mine.may
    assert theirs.people == mine.people
    assert theirs.allowed == mine.allowed

    def tasks(view: object) -> list[tuple[str, bool, bool]]:
        plan = view.plan  # type: ignore[attr-defined]
        rows = [t for g in plan.milestones for t in g.tasks] + plan.loose_tasks
        return [(t.title, t.may_edit, t.may_delete) for t in rows]

    assert tasks(theirs) == tasks(mine)
    assert own.context["read_only"] is False
    assert preview.context["read_only"] is True


def test_pe7_view_as_follows_the_customisation(
    world: World, paul_on_project: ProjectMember
) -> None:
    PermissionOverride.objects.create(
        portal=world.portal,
        member=paul_on_project,
        permissions={**builtin_client_permissions(), TASKS_ADD: Level.NONE, TASKS_EDIT: Level.ALL},
    )
    content = world.client_for(world.admin).get(view_as_url(world.project, world.client)).content
    text = content.decode()
    assert "Tasks: Add" not in text
    assert "Tasks: Edit" in text
    assert text.count("can edit") == 2  # every task he sees, now


def test_pe7_view_as_uses_the_clients_permissions_not_the_staff_members(world: World) -> None:
    """Staff preview with Paul's own row deciding, never the staff member's."""
    member = join(world.client, world.project)
    PermissionOverride.objects.create(
        portal=world.portal,
        member=member,
        permissions={**builtin_client_permissions(), TASKS_ADD: Level.NONE},
    )
    # Loaded for the admin (on the project, without a customisation): its annotations
    # describe the admin's row, and must not answer for Paul.
    loaded_for_admin = visible_projects(world.admin).get(pk=world.project.pk)
    assert rules.permissions(world.client, loaded_for_admin)[TASKS_ADD] == Level.NONE
    assert rules.permissions(world.admin, loaded_for_admin)[TASKS_ADD] == Level.ALL
    preview = world.client_for(world.manager).get(view_as_url(world.project, world.client))
    assert preview.context["view"].may["tasks_add"] is False


def test_pe7_view_as_a_client_who_may_not_see_the_project(
    world: World, paul_on_project: ProjectMember
) -> None:
    PermissionOverride.objects.create(portal=world.portal, member=paul_on_project, permissions={})
    response = world.client_for(world.admin).get(view_as_url(world.project, world.client))
    assert response.status_code == 200
    content = response.content.decode()
    assert "This client user cannot see this project" in content
    assert "Write copy" not in content


def test_pe7_view_as_a_staff_member_of_the_project_may_use_it(
    world: World, paul_on_project: ProjectMember
) -> None:
    for staff in (world.admin, world.manager, world.employee):
        response = world.client_for(staff).get(view_as_url(world.project, world.client))
        assert response.status_code == 200, staff


def test_pe7_view_as_refuses_clients_and_outsiders_with_404(
    world: World, paul_on_project: ProjectMember
) -> None:
    path = view_as_url(world.project, world.client)
    colleague = make_member(world.portal, "bob@bowman.test", "client", "Bob Bowman")
    join(colleague, world.project)
    for persona in (world.client, colleague, world.outsider, world.other_admin):
        assert world.client_for(persona).get(path).status_code == 404, persona
    anonymous = Client().get(path)
    assert anonymous.status_code == 302


def test_pe7_view_as_needs_a_client_member_of_that_project(
    world: World, paul_on_project: ProjectMember
) -> None:
    admin = world.client_for(world.admin)
    # A staff member of the project is not a client.
    assert admin.get(view_as_url(world.project, world.employee)).status_code == 404
    # A client of another project of the portal.
    second = make_project(world.portal, world.admin, "Brochure")
    olivia = make_member(world.portal, "olivia@bowman.test", "client", "Olivia Bowman")
    join(olivia, second)
    assert admin.get(view_as_url(world.project, olivia)).status_code == 404
    assert admin.get(view_as_url(second, olivia)).status_code == 200
    # Another portal's project and people.
    assert admin.get(view_as_url(world.other_project, world.client)).status_code == 404
    assert admin.get(view_as_url(world.project, world.other_admin)).status_code == 404


def test_pe7_view_as_is_read_only_for_every_method(
    world: World, paul_on_project: ProjectMember
) -> None:
    path = view_as_url(world.project, world.client)
    count = Task.objects.count()
    assert world.client_for(world.admin).post(path, {"title": "x"}).status_code == 405
    assert Task.objects.count() == count
