"""The one question, `can`, for staff and clients; portal-level questions apart (STYLE.md 4)."""

from __future__ import annotations

from typing import Any

import pytest

from portail.access import rules
from portail.access.catalogue import UnknownPermission, codes
from portail.access.checks import validate_catalogue
from portail.access.selectors import visible_projects
from portail.notifications.permissions import VIEW_OUTBOX
from portail.portals.models import MembershipStatus
from portail.portals.roles import can_portal
from portail.projects.permissions import CREATE_PROJECTS, PROJECT_EDIT, PROJECT_VIEW, TASKS_DELETE
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_admins_and_managers_may_do_everything_in_every_project(world: World) -> None:
    for membership in (world.admin, world.manager):
        assert all(rules.can(membership, world.project, code) for code in codes())


def test_employees_may_do_everything_only_in_their_projects(world: World) -> None:
    assert all(rules.can(world.employee, world.project, code) for code in codes())
    assert not any(rules.can(world.outsider, world.project, code) for code in codes())


def test_client_users_have_no_access_to_a_project_they_are_not_on(world: World) -> None:
    assert not any(rules.can(world.client, world.project, code) for code in codes())
    assert list(visible_projects(world.client)) == []


def test_staff_of_another_portal_may_do_nothing_here(world: World) -> None:
    assert not rules.can(world.other_admin, world.project, PROJECT_VIEW)
    assert world.project not in visible_projects(world.other_admin)


def test_a_deactivated_admin_may_do_nothing(world: World) -> None:
    world.admin.status = MembershipStatus.DEACTIVATED
    world.admin.save()
    assert not rules.can(world.admin, world.project, PROJECT_VIEW)
    assert list(visible_projects(world.admin)) == []
    assert not can_portal(world.admin, CREATE_PROJECTS)


def test_a_typo_in_a_permission_code_fails_loudly(world: World) -> None:
    with pytest.raises(UnknownPermission):
        rules.can(world.admin, world.project, "task.edit")


def test_creating_projects_is_for_admins_and_managers(world: World) -> None:
    allowed = [
        can_portal(m, CREATE_PROJECTS)
        for m in (world.admin, world.manager, world.employee, world.outsider, world.client, None)
    ]
    assert allowed == [True, True, False, False, False, False]


def test_other_portal_actions_are_admin_only(world: World) -> None:
    allowed = [
        can_portal(m, VIEW_OUTBOX)
        for m in (world.admin, world.manager, world.employee, world.client)
    ]
    assert allowed == [True, False, False, False]


def test_abilities_are_keyed_for_templates(world: World) -> None:
    may = rules.abilities(world.employee, world.project)
    assert set(may) == {code.replace(".", "_") for code in codes()}
    assert may["project_edit"]
    assert may["tasks_delete"]
    assert not any(rules.abilities(world.outsider, world.project).values())


def test_permissions_of_a_listed_project_cost_no_query(
    world: World, django_assert_num_queries: Any
) -> None:
    (project,) = visible_projects(world.employee)
    with django_assert_num_queries(0):
        assert rules.can(world.employee, project, PROJECT_EDIT)
        assert rules.can(world.employee, project, TASKS_DELETE)


def test_the_catalogue_passes_its_start_up_check() -> None:
    assert validate_catalogue() == []
