"""The pages' query counts do not grow with the data (issue 2: django_assert_max_num_queries)."""

from __future__ import annotations

from typing import Any

import pytest
from django.shortcuts import resolve_url

from portail.projects import plans, services
from portail.projects.models import TaskStatus
from tests.conftest import World, make_member

pytestmark = pytest.mark.django_db

# Session, user, membership, session write (3: savepoint, update, release), portals menu: 7;
# then paginator count, the list, the status counts, and the progress of the page's projects
# (tasks, milestones, next milestones): 13, for any number of projects.
LIST_QUERIES = 13
# The same 7, then project, progress, milestones, tasks: 11, for any number of milestones
# and tasks (the staff members list moved to the Users -> Staff tab).
DETAIL_QUERIES = 11
# The staff tab: the same 7, project, members, staff to add (exists, select): 12.
STAFF_QUERIES = 12


def fill_project(world: World, project: Any, milestones: int, tasks_each: int) -> None:
    for m in range(milestones):
        milestone = plans.milestone_create(project=project, title=f"M{m}")
        for t in range(tasks_each):
            plans.task_create(
                project=project,
                title=f"T{m}.{t}",
                created_by=world.admin,
                milestone=milestone,
                assignee=world.manager,
                status=TaskStatus.DONE if t % 2 else TaskStatus.OPEN,
            )
    plans.task_create(project=project, title="loose", created_by=world.admin)


@pytest.mark.parametrize("projects", [3, 30])
def test_project_list_query_count_does_not_grow_with_projects(
    world: World, django_assert_max_num_queries: Any, projects: int
) -> None:
    for i in range(projects - 1):  # the world already has one
        project = services.project_create(
            actor=None, portal=world.portal, name=f"Project {i:02}", owner=world.manager
        )
        fill_project(world, project, milestones=2, tasks_each=2)
    client = world.client_for(world.admin)
    path = resolve_url("projects:list", portal_slug="acme")
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(path)
    assert response.status_code == 200
    assert len(response.context["rows"]) == projects


@pytest.mark.parametrize("size", [1, 10])
def test_project_page_query_count_does_not_grow_with_tasks(
    world: World, django_assert_max_num_queries: Any, size: int
) -> None:
    fill_project(world, world.project, milestones=size, tasks_each=size)
    client = world.client_for(world.admin)
    path = resolve_url("projects:detail", portal_slug="acme", project_id=world.project.pk)
    with django_assert_max_num_queries(DETAIL_QUERIES):
        response = client.get(path)
    assert response.status_code == 200
    assert response.context["progress"].tasks.total == size * size + 1


@pytest.mark.parametrize("people", [1, 10])
def test_staff_tab_query_count_does_not_grow_with_members(
    world: World, django_assert_max_num_queries: Any, people: int
) -> None:
    for i in range(people):
        member = make_member(world.portal, f"staff{i}@acme.test", full_name=f"Staff {i}")
        services.project_member_add(actor=None, project=world.project, membership=member)
    client = world.client_for(world.admin)
    path = resolve_url("projects:staff", portal_slug="acme", project_id=world.project.pk)
    with django_assert_max_num_queries(STAFF_QUERIES):
        response = client.get(path)
    assert response.status_code == 200
    assert len(response.context["members"]) == people + 2  # the admin (owner) and the employee
