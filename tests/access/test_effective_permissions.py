"""Effective permissions of client users: profile (PE1), customisation (PE2), and the
access selectors that filter project data in SQL (PE5, CX3)."""

from __future__ import annotations

from typing import Any

import pytest

from portail.access import rules
from portail.access.catalogue import Level, builtin_client_permissions
from portail.access.models import PermissionOverride
from portail.access.selectors import visible, visible_projects
from portail.clients.models import ClientCompany
from portail.portals.models import Membership
from portail.projects.models import Milestone, Project, ProjectMember, Task
from portail.projects.permissions import (
    MILESTONES,
    MILESTONES_VIEW,
    PROJECT_VIEW,
    TASKS,
    TASKS_ADD,
    TASKS_VIEW,
    USERS,
)
from tests.conftest import World, make_member, make_project

pytestmark = pytest.mark.django_db


def join(membership: Membership, project: Project) -> ProjectMember:
    return ProjectMember.objects.create(
        portal_id=project.portal_id, project=project, membership=membership
    )


def customise(member: ProjectMember, **levels: str) -> PermissionOverride:
    permissions = {code.replace("_", ".", 1): level for code, level in levels.items()}
    return PermissionOverride.objects.create(
        portal_id=member.portal_id, member=member, permissions=permissions
    )


def fresh(membership: Membership) -> Membership:
    found = Membership.objects.select_related("client_profile").filter(pk=membership.pk).first()
    assert found is not None
    return found


def test_pe1_a_client_on_the_project_gets_the_builtin_profile(world: World) -> None:
    join(world.client, world.project)
    assert rules.permissions(world.client, world.project) == {
        **rules.nothing(),
        **{code: Level(level) for code, level in builtin_client_permissions().items()},
    }


def test_pe2_a_customisation_replaces_the_profile_in_that_project_only(world: World) -> None:
    second = make_project(world.portal, world.admin, "Catalogue")
    customise(join(world.client, world.project), project_view="all", tasks_view="own")
    join(world.client, second)

    here = rules.permissions(world.client, world.project)
    assert here[TASKS_VIEW] == Level.OWN
    assert here[TASKS_ADD] == Level.NONE  # the profile's "add" is not merged in
    assert rules.permissions(world.client, second)[TASKS_ADD] == Level.ALL


def test_pe5_listed_projects_carry_the_customisation_so_asking_costs_no_query(
    world: World, django_assert_num_queries: Any
) -> None:
    customise(join(world.client, world.project), project_view="all", tasks_add="none")
    (project,) = visible_projects(fresh(world.client))
    client = fresh(world.client)
    with django_assert_num_queries(0):
        assert rules.can(client, project, PROJECT_VIEW)
        assert not rules.can(client, project, TASKS_ADD)


def test_pe5_a_customisation_can_open_a_project_the_profile_keeps_closed(world: World) -> None:
    profile = world.client.client_profile
    assert profile is not None
    profile.permissions = {**profile.permissions, PROJECT_VIEW: "none"}
    profile.save()
    member = join(world.client, world.project)
    assert list(visible_projects(fresh(world.client))) == []

    customise(member, project_view="own")
    assert list(visible_projects(fresh(world.client))) == [world.project]


def test_pe5_a_customisation_can_close_a_project_the_profile_opens(world: World) -> None:
    customise(join(world.client, world.project), project_view="none")
    assert list(visible_projects(fresh(world.client))) == []
    assert not rules.can(fresh(world.client), world.project, PROJECT_VIEW)


def test_cx3_clients_see_only_client_visible_milestones_and_tasks(world: World) -> None:
    join(world.client, world.project)
    shown = Milestone.objects.create(
        portal=world.portal, project=world.project, title="Launch", client_visible=True
    )
    Milestone.objects.create(portal=world.portal, project=world.project, title="Internal")
    task = Task.objects.create(
        portal=world.portal, project=world.project, title="Copy", client_visible=True
    )
    Task.objects.create(portal=world.portal, project=world.project, title="Margins")

    assert list(visible(world.client, world.project, MILESTONES)) == [shown]
    assert list(visible(world.client, world.project, TASKS)) == [task]
    assert visible(world.employee, world.project, TASKS).count() == 2


def test_cx2_own_level_limits_tasks_to_those_added_or_assigned(world: World) -> None:
    customise(join(world.client, world.project), project_view="all", tasks_view="own")
    mine = Task.objects.create(
        portal=world.portal,
        project=world.project,
        title="Mine",
        client_visible=True,
        created_by=world.client,
    )
    assigned = Task.objects.create(
        portal=world.portal,
        project=world.project,
        title="Assigned",
        client_visible=True,
        assignee=world.client,
    )
    Task.objects.create(
        portal=world.portal, project=world.project, title="Other", client_visible=True
    )

    assert set(visible(world.client, world.project, TASKS)) == {mine, assigned}


def test_cx2_no_view_level_shows_nothing_of_the_module(world: World) -> None:
    customise(join(world.client, world.project), project_view="all", milestones_view="none")
    Milestone.objects.create(
        portal=world.portal, project=world.project, title="Launch", client_visible=True
    )
    assert list(visible(world.client, world.project, MILESTONES)) == []
    assert not rules.can(world.client, world.project, MILESTONES_VIEW)


def test_cx3_clients_see_staff_and_their_own_company_never_another(world: World) -> None:
    join(world.client, world.project)
    colleague = make_member(world.portal, "anna@bowman.test", "client", "Anna Bowman")
    other_company = ClientCompany.objects.create(portal=world.portal, name="Vasseur")
    stranger = make_member(world.portal, "claire@vasseur.test", "client", "Claire Vasseur")
    stranger.client_company = other_company
    stranger.save()
    join(colleague, world.project)
    join(stranger, world.project)

    seen = {m.membership_id for m in visible(world.client, world.project, USERS)}
    assert seen == {world.admin.pk, world.employee.pk, world.client.pk, colleague.pk}


def test_cx3_without_users_view_a_client_sees_nobody(world: World) -> None:
    customise(join(world.client, world.project), project_view="all", users_view="none")
    assert list(visible(world.client, world.project, USERS)) == []
