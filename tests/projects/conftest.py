from __future__ import annotations

import pytest

from portail.projects import services
from portail.projects.models import ProjectMember
from tests.conftest import World, make_member
from tests.projects.routes import Objects


def objects_of(project_owner_world: World, *, other: bool) -> Objects:
    w = project_owner_world
    project = w.other_project if other else w.project
    owner = w.other_admin if other else w.admin
    milestone = services.milestone_create(project=project, title="Launch")
    task = services.task_create(project=project, title="Write copy", created_by=owner)
    # A client user on the project (not the world's client persona, who is on none).
    email = "carla@their-client.test" if other else "carla@our-client.test"
    client = make_member(project.portal, email, "client", "Carla Client")
    ProjectMember.objects.create(portal=project.portal, project=project, membership=client)
    return Objects(project=project, milestone=milestone, task=task, member=owner, client=client)


@pytest.fixture
def ours(world: World) -> Objects:
    """A milestone and a task in portal A's project (the member is its owner)."""
    return objects_of(world, other=False)


@pytest.fixture
def theirs(world: World) -> Objects:
    """A milestone and a task in portal B's project."""
    return objects_of(world, other=True)
