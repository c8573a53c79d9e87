"""Service behaviour the pages rely on, beyond what the services' own callers show."""

from __future__ import annotations

import pytest

from portail.projects import services
from portail.projects.models import ProjectMember
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_adding_a_member_twice_keeps_one_row(world: World) -> None:
    first = services.project_member_add(project=world.project, membership=world.outsider)
    again = services.project_member_add(project=world.project, membership=world.outsider)
    assert first.pk == again.pk
    rows = ProjectMember.objects.filter(project=world.project, membership=world.outsider)
    assert rows.count() == 1


def test_adding_people_in_a_loop_is_not_an_n_plus_one(world: World) -> None:
    """load_demo and imports add people in loops; the suite's zeal must not trip on it."""
    for membership in (world.manager, world.outsider, world.manager, world.employee):
        services.project_member_add(project=world.project, membership=membership)
    people = ProjectMember.objects.filter(project=world.project).values_list(
        "membership", flat=True
    )
    assert set(people) == {world.admin.pk, world.employee.pk, world.manager.pk, world.outsider.pk}
