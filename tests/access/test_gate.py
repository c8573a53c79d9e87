"""The one gate (access.gate.authorize): what pages and the API ask, with no request.

NotFound for anything the person may not know about (another portal's project, a project
they are not on, a row they may not see, a value that is not an id), Forbidden for what
they see but may not do (PE5); the project's permissions come back resolved once.
"""

from __future__ import annotations

from typing import Any

import pytest

from portail.access.gate import Forbidden, NotFound, authorize
from portail.access.models import PermissionOverride
from portail.projects import plans
from portail.projects.models import ProjectMember
from portail.projects.permissions import (
    MILESTONES_EDIT,
    PROJECT_EDIT,
    PROJECT_VIEW,
    TASKS_DELETE,
    TASKS_EDIT,
)
from portail.registry import Level
from tests.conftest import World

pytestmark = pytest.mark.django_db


def on_project(world: World) -> ProjectMember:
    return ProjectMember.objects.create(
        portal=world.portal, project=world.project, membership=world.client
    )


def test_pe5_the_gate_returns_the_project_the_row_and_the_resolved_permissions(
    world: World,
) -> None:
    task = plans.task_create(project=world.project, title="Logo", created_by=None)

    granted = authorize(world.employee, world.project.pk, TASKS_EDIT, item=task.pk)

    assert granted.project == world.project
    assert granted.item == task
    assert granted.perms[TASKS_EDIT] == Level.ALL
    assert granted.item.project is granted.project  # type: ignore[union-attr]


@pytest.mark.parametrize("project_id", [None, "", "abc", "12x", -1, 0, 10**30, "²"])
def test_a_value_that_is_not_a_project_id_is_not_found(world: World, project_id: Any) -> None:
    with pytest.raises(NotFound):
        authorize(world.admin, project_id, PROJECT_VIEW)


def test_another_portals_project_and_a_project_one_is_not_on_are_not_found(
    world: World,
) -> None:
    with pytest.raises(NotFound):
        authorize(world.admin, world.other_project.pk, PROJECT_VIEW)
    with pytest.raises(NotFound):
        authorize(world.outsider, world.project.pk, PROJECT_VIEW)
    with pytest.raises(NotFound):
        authorize(world.client, world.project.pk, PROJECT_VIEW)  # not on it yet


def test_a_row_of_another_project_or_an_unknown_row_is_not_found(world: World) -> None:
    elsewhere = plans.task_create(project=world.other_project, title="Theirs", created_by=None)
    with pytest.raises(NotFound):
        authorize(world.admin, world.project.pk, TASKS_EDIT, item=elsewhere.pk)
    with pytest.raises(NotFound):
        authorize(world.admin, world.project.pk, TASKS_EDIT, item="not-an-id")


def test_cx3_an_internal_task_is_not_found_for_a_client_and_a_visible_one_is_forbidden(
    world: World,
) -> None:
    on_project(world)
    internal = plans.task_create(project=world.project, title="Margins", created_by=None)
    shown = plans.task_create(
        project=world.project, title="Logo", created_by=None, client_visible=True
    )

    with pytest.raises(NotFound):
        authorize(world.client, world.project.pk, TASKS_EDIT, item=internal.pk)
    # The built-in profile edits only the tasks they added or are assigned to.
    with pytest.raises(Forbidden):
        authorize(world.client, world.project.pk, TASKS_DELETE, item=shown.pk)


def test_pe2_own_rows_follow_the_modules_own_fields(world: World) -> None:
    member = on_project(world)
    PermissionOverride.objects.create(
        portal=world.portal,
        member=member,
        permissions={"project.view": "all", "milestones.view": "all", "milestones.edit": "own"},
    )
    theirs = plans.milestone_create(
        project=world.project, title="Their review", created_by=world.client, client_visible=True
    )
    ours = plans.milestone_create(
        project=world.project, title="Our review", created_by=None, client_visible=True
    )

    assert authorize(world.client, world.project.pk, MILESTONES_EDIT, item=theirs.pk).item == theirs
    with pytest.raises(Forbidden):
        authorize(world.client, world.project.pk, MILESTONES_EDIT, item=ours.pk)


def test_staff_only_is_not_found_for_a_client_whatever_their_permissions(world: World) -> None:
    on_project(world)
    with pytest.raises(NotFound):
        authorize(world.client, world.project.pk, PROJECT_VIEW, staff_only=True)


def test_of_loads_another_modules_row_by_its_lookup(world: World) -> None:
    member = on_project(world)
    granted = authorize(
        world.admin, world.project.pk, PROJECT_EDIT, item=world.client.pk, of="member"
    )
    assert granted.item == member
    with pytest.raises(NotFound):
        authorize(world.admin, world.project.pk, PROJECT_EDIT, item=world.outsider.pk, of="member")
