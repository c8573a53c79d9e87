"""Resolving one person's permissions across all their projects costs a constant number of
queries (RULES PE5), and so do the client's pages built on it (CX1, CX2).

Each test runs at 3 and at 50 projects with the same ceiling; half of the projects give
the client a customisation, so both sources of permissions are read.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.shortcuts import resolve_url

from portail.access import rules
from portail.access.catalogue import Level, builtin_client_permissions
from portail.access.models import PermissionOverride
from portail.access.selectors import visible_projects
from portail.portals.models import Membership
from portail.projects import plans, services
from portail.projects.models import Project, ProjectMember, TaskStatus
from portail.projects.permissions import TASKS_VIEW
from tests.conftest import World

pytestmark = pytest.mark.django_db

# The client's project list: session, user, membership, session write (savepoint, update,
# release), portals menu: 7; then the paginator's count, the list, and the progress of the
# page's projects (tasks, milestones, next milestones): 12.
CLIENT_LIST_QUERIES = 12
# The client's project page: the same 7, the project, its progress, the milestones and the
# tasks, the people: 12, for any number of projects, milestones and tasks.
CLIENT_PAGE_QUERIES = 12


def client_on_projects(world: World, count: int) -> list[Project]:
    """`count` projects with Paul on each (the world's Website first), each with a visible
    and an internal milestone and tasks; every second one customised (tasks: own only)."""
    projects = [world.project]
    for i in range(count - 1):
        projects.append(
            services.project_create(
                actor=None, portal=world.portal, name=f"Project {i:02}", owner=world.manager
            )
        )
    for i, project in enumerate(projects):
        member = ProjectMember.objects.create(
            portal=world.portal, project=project, membership=world.client
        )
        if i % 2:
            PermissionOverride.objects.create(
                portal=world.portal,
                member=member,
                permissions={**builtin_client_permissions(), TASKS_VIEW: Level.OWN},
            )
        shown = plans.milestone_create(project=project, title="Shown", client_visible=True)
        plans.milestone_create(project=project, title="Hidden")
        plans.task_create(
            project=project,
            title="Visible",
            created_by=world.admin,
            milestone=shown,
            client_visible=True,
            status=TaskStatus.DONE,
        )
        plans.task_create(project=project, title="Internal", created_by=world.admin)
        plans.task_create(project=project, title="Mine", created_by=world.client)
    return projects


@pytest.mark.parametrize("count", [3, 50])
def test_pe5_permissions_over_visible_projects_cost_one_query(
    world: World, django_assert_max_num_queries: Any, count: int
) -> None:
    client_on_projects(world, count)
    paul = Membership.objects.select_related("client_profile").get(pk=world.client.pk)
    with django_assert_max_num_queries(1):
        resolved = {p.pk: rules.permissions(paul, p) for p in visible_projects(paul)}
    assert len(resolved) == count
    own_only = sum(1 for perms in resolved.values() if perms[TASKS_VIEW] == Level.OWN)
    assert own_only == count // 2


@pytest.mark.parametrize("count", [3, 50])
def test_pe5_staff_permissions_over_visible_projects_cost_one_query(
    world: World, django_assert_max_num_queries: Any, count: int
) -> None:
    client_on_projects(world, count)
    for staff in (world.manager, world.employee):
        with django_assert_max_num_queries(1):
            resolved = [rules.permissions(staff, p) for p in visible_projects(staff)]
        assert all(perms[TASKS_VIEW] == Level.ALL for perms in resolved)


@pytest.mark.parametrize("count", [3, 50])
def test_pe5_cx1_client_home_costs_the_same_at_3_and_50_projects(
    world: World, django_assert_max_num_queries: Any, count: int
) -> None:
    client_on_projects(world, count)
    browser = world.client_for(world.client)
    path = resolve_url("projects:list", portal_slug="acme")
    with django_assert_max_num_queries(CLIENT_LIST_QUERIES):
        response = browser.get(path)
    rows = response.context["rows"]
    assert len(rows) == count
    # Customised projects count only Paul's tasks (Mine); the others the visible ones.
    for row in rows:
        assert (row.tasks.done, row.tasks.total) in {(1, 2), (0, 1)}
        assert (row.milestones.done, row.milestones.total) == (0, 1)
        assert row.next_milestone.title == "Shown"


@pytest.mark.parametrize("count", [3, 50])
def test_pe5_cx2_client_project_page_costs_the_same_whatever_they_have(
    world: World, django_assert_max_num_queries: Any, count: int
) -> None:
    projects = client_on_projects(world, count)
    for i in range(count):
        plans.task_create(
            project=projects[0], title=f"More {i}", created_by=world.admin, client_visible=True
        )
    browser = world.client_for(world.client)
    path = resolve_url("projects:detail", portal_slug="acme", project_id=projects[0].pk)
    with django_assert_max_num_queries(CLIENT_PAGE_QUERIES):
        response = browser.get(path)
    assert response.status_code == 200
    assert response.context["view"].progress.tasks.total == count + 2
