"""Service behaviour the pages rely on, beyond what the services' own callers show."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from portail.projects import plans, services
from portail.projects.models import BillingMethod, Project, ProjectMember, Task, TaskStatus
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_adding_a_member_twice_keeps_one_row(world: World) -> None:
    first = services.project_member_add(
        actor=None, project=world.project, membership=world.outsider
    )
    again = services.project_member_add(
        actor=None, project=world.project, membership=world.outsider
    )
    assert first.pk == again.pk
    rows = ProjectMember.objects.filter(project=world.project, membership=world.outsider)
    assert rows.count() == 1


def test_adding_people_in_a_loop_is_not_an_n_plus_one(world: World) -> None:
    """load_demo and imports add people in loops; the suite's zeal must not trip on it."""
    for membership in (world.manager, world.outsider, world.manager, world.employee):
        services.project_member_add(actor=None, project=world.project, membership=membership)
    people = ProjectMember.objects.filter(project=world.project).values_list(
        "membership", flat=True
    )
    assert set(people) == {world.admin.pk, world.employee.pk, world.manager.pk, world.outsider.pk}


# Tenancy: services refuse objects of another portal or project, naming the field.


def test_a_project_owner_must_be_staff_of_the_portal(world: World) -> None:
    for owner in (world.other_admin, world.client):
        with pytest.raises(ValidationError) as error:
            services.project_create(actor=None, portal=world.portal, name="Intranet", owner=owner)
        assert "owner" in error.value.message_dict
    assert not Project.objects.filter(name="Intranet").exists()


def test_a_task_refuses_a_milestone_of_another_project(world: World) -> None:
    elsewhere = plans.milestone_create(project=world.other_project, title="Theirs")
    with pytest.raises(ValidationError) as error:
        plans.task_create(
            project=world.project, title="Copy", created_by=world.admin, milestone=elsewhere
        )
    assert "milestone" in error.value.message_dict
    assert not Task.objects.filter(title="Copy").exists()


def test_a_task_refuses_an_assignee_of_another_portal(world: World) -> None:
    with pytest.raises(ValidationError) as error:
        plans.task_create(
            project=world.project, title="Copy", created_by=world.admin, assignee=world.other_admin
        )
    assert "assignee" in error.value.message_dict


def test_a_staff_member_of_another_portal_cannot_join_a_project(world: World) -> None:
    with pytest.raises(ValidationError):
        services.project_member_add(actor=None, project=world.project, membership=world.other_admin)
    assert not ProjectMember.objects.filter(membership=world.other_admin, project=world.project)


# The database holds the rules even when Python is bypassed.


def test_the_database_refuses_a_project_ending_before_it_starts(world: World) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.create(
            portal=world.portal,
            name="Backwards",
            owner=world.admin,
            start_date=date(2026, 5, 1),
            end_date=date(2026, 4, 1),
        )


def test_the_database_refuses_a_rate_on_a_project_not_billed_on_project_hours(
    world: World,
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.create(
            portal=world.portal,
            name="Rated",
            owner=world.admin,
            billing_method=BillingMethod.NOT_BILLABLE,
            hourly_rate=Decimal("80.00"),
        )


def test_the_database_refuses_a_done_task_without_completion_time(world: World) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.create(
            portal=world.portal, project=world.project, title="Odd", status=TaskStatus.DONE
        )


def test_the_database_refuses_the_same_person_twice_on_a_project(world: World) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectMember.objects.create(
            portal=world.portal, project=world.project, membership=world.employee
        )
