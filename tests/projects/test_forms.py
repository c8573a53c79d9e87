"""Bad input gets an error on the field it is about, and changes nothing (DESIGN.md)."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.shortcuts import resolve_url
from django.test import Client

from portail.projects import plans, services
from portail.projects.models import BillingMethod, Milestone, Project, Task
from tests.conftest import World, make_project

pytestmark = pytest.mark.django_db


def project_data(world: World, **overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Rebrand",
        "description": "",
        "status": "active",
        "start_date": "",
        "end_date": "",
        "owner": world.admin.pk,
        "billing_method": BillingMethod.NOT_BILLABLE,
        "hourly_rate": "",
        "fixed_cost": "",
    }
    data.update(overrides)
    return data


def rows() -> dict[str, int]:
    """How many rows each of Portail's models holds (projects, tasks, audit events, emails...)."""
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model.__module__.startswith("portail.")
    }


def refused(client: Client, path: str, data: dict[str, Any], field: str, message: str) -> None:
    """The page comes back (200) with `message` on `field`, named in the error summary,
    and no row was created anywhere."""
    before = rows()
    response = client.post(path, data)
    assert rows() == before
    assert response.status_code == 200
    form = response.context["form"]
    assert message in form.errors.get(field, []), form.errors
    content = response.content.decode()
    assert f'<a href="#id_{field}">{form.fields[field].label}</a>: {message}' in content.replace(
        "&#x27;", "'"
    )


CREATE_CASES = [
    pytest.param(
        {"start_date": "2030-05-01", "end_date": "2030-04-30"},
        "end_date",
        "This date cannot be before the start date.",
        id="end-before-start",
    ),
    pytest.param(
        {"billing_method": BillingMethod.PROJECT_HOURS, "hourly_rate": "-1"},
        "hourly_rate",
        "The project rate cannot be negative.",
        id="negative-rate",
    ),
    pytest.param(
        {"billing_method": BillingMethod.NOT_BILLABLE, "hourly_rate": "80"},
        "hourly_rate",
        "Only projects billed on project hours have a project rate.",
        id="rate-without-project-hours",
    ),
    pytest.param(
        {"billing_method": BillingMethod.STAFF_HOURS, "hourly_rate": "80"},
        "hourly_rate",
        "Only projects billed on project hours have a project rate.",
        id="rate-with-staff-hours",
    ),
    pytest.param(
        {"billing_method": BillingMethod.PROJECT_HOURS},
        "hourly_rate",
        "A project billed on project hours needs a project rate.",
        id="project-hours-without-rate",
    ),
    pytest.param(
        {"billing_method": BillingMethod.FIXED_COST, "fixed_cost": "-10"},
        "fixed_cost",
        "The fixed cost cannot be negative.",
        id="negative-fixed-cost",
    ),
    pytest.param(
        {"billing_method": BillingMethod.NOT_BILLABLE, "fixed_cost": "5000"},
        "fixed_cost",
        "Only fixed-cost projects have a fixed cost.",
        id="fixed-cost-without-fixed-billing",
    ),
    pytest.param({"name": "   "}, "name", "Give the project a name.", id="blank-name"),
    pytest.param(
        {"hourly_rate": "abc", "billing_method": BillingMethod.PROJECT_HOURS},
        "hourly_rate",
        "Enter a number.",
        id="rate-not-a-number",
    ),
    pytest.param({"end_date": "31/02/2030"}, "end_date", "Enter a valid date.", id="bad-date"),
]


@pytest.mark.parametrize(("overrides", "field", "message"), CREATE_CASES)
def test_project_create_refuses_bad_input_on_its_field(
    world: World, overrides: dict[str, Any], field: str, message: str
) -> None:
    before = Project.objects.count()
    refused(
        world.client_for(world.admin),
        resolve_url("projects:create", portal_slug="acme"),
        project_data(world, **overrides),
        field,
        message,
    )
    assert Project.objects.count() == before  # and no other row: see `refused`


def test_project_owner_of_another_portal_is_refused(world: World) -> None:
    refused(
        world.client_for(world.admin),
        resolve_url("projects:create", portal_slug="acme"),
        project_data(world, owner=world.other_admin.pk),
        "owner",
        "Choose an active staff member of this portal.",
    )
    assert not Project.objects.filter(name="Rebrand").exists()


def test_a_client_cannot_own_a_project(world: World) -> None:
    refused(
        world.client_for(world.admin),
        resolve_url("projects:create", portal_slug="acme"),
        project_data(world, owner=world.client.pk),
        "owner",
        "Choose an active staff member of this portal.",
    )
    assert not Project.objects.filter(name="Rebrand").exists()


@pytest.mark.parametrize(("overrides", "field", "message"), CREATE_CASES[:3])
def test_project_edit_refuses_bad_input_and_leaves_the_project_as_it_was(
    world: World, overrides: dict[str, Any], field: str, message: str
) -> None:
    path = resolve_url("projects:edit", portal_slug="acme", project_id=world.project.pk)
    refused(world.client_for(world.admin), path, project_data(world, **overrides), field, message)
    world.project.refresh_from_db()
    assert world.project.name == "Website"
    assert world.project.start_date is None
    assert world.project.hourly_rate is None


def test_project_errors_show_together(world: World) -> None:
    """Billing and date errors do not wait for the other fields to be right."""
    client = world.client_for(world.admin)
    before = rows()
    response = client.post(
        resolve_url("projects:create", portal_slug="acme"),
        project_data(
            world, name="", start_date="2030-02-02", end_date="2030-01-01", fixed_cost="1"
        ),
    )
    assert set(response.context["form"].errors) == {"name", "end_date", "fixed_cost"}
    assert rows() == before


# Milestones -------------------------------------------------------------------------------


def test_milestone_due_before_start_is_refused_on_the_due_date(world: World) -> None:
    refused(
        world.client_for(world.admin),
        resolve_url("projects:milestone-create", portal_slug="acme", project_id=world.project.pk),
        {"title": "Launch", "start_date": "2030-05-02", "due_date": "2030-05-01"},
        "due_date",
        "This date cannot be before the start date.",
    )
    assert not Milestone.objects.exists()


def test_milestone_blank_title_is_refused_and_edit_changes_nothing(world: World) -> None:
    milestone = plans.milestone_create(project=world.project, title="Launch")
    refused(
        world.client_for(world.admin),
        resolve_url(
            "projects:milestone-edit",
            portal_slug="acme",
            project_id=world.project.pk,
            milestone_id=milestone.pk,
        ),
        {"title": ""},
        "title",
        "Give the milestone a title.",
    )
    milestone.refresh_from_db()
    assert milestone.title == "Launch"


# Tasks ------------------------------------------------------------------------------------


def task_path(world: World) -> str:
    return resolve_url("projects:task-create", portal_slug="acme", project_id=world.project.pk)


def test_task_blank_title_is_refused(world: World) -> None:
    refused(
        world.client_for(world.admin),
        task_path(world),
        {"title": " "},
        "title",
        "Give the task a title.",
    )
    assert not Task.objects.exists()


def test_task_milestone_of_another_project_is_refused(world: World) -> None:
    elsewhere = make_project(world.portal, world.admin, "Elsewhere")
    foreign = plans.milestone_create(project=elsewhere, title="Not here")
    refused(
        world.client_for(world.admin),
        task_path(world),
        {"title": "Logo", "milestone": foreign.pk},
        "milestone",
        "Choose a milestone of this project.",
    )
    assert not Task.objects.exists()


def test_task_assignee_of_another_portal_is_refused(world: World) -> None:
    refused(
        world.client_for(world.admin),
        task_path(world),
        {"title": "Logo", "assignee": world.other_admin.pk},
        "assignee",
        "Choose an active staff member who works on this project.",
    )
    assert not Task.objects.exists()


def test_task_assignee_not_on_the_project_is_refused(world: World) -> None:
    refused(
        world.client_for(world.admin),
        task_path(world),
        {"title": "Logo", "assignee": world.outsider.pk},
        "assignee",
        "Choose an active staff member who works on this project.",
    )
    assert not Task.objects.exists()


def test_task_edit_with_bad_input_changes_nothing(world: World) -> None:
    task = plans.task_create(project=world.project, title="Draft", created_by=world.admin)
    path = resolve_url(
        "projects:task-edit", portal_slug="acme", project_id=world.project.pk, task_id=task.pk
    )
    refused(
        world.client_for(world.admin),
        path,
        {"title": "New title", "status": "finished"},
        "status",
        "Select a valid choice. finished is not one of the available choices.",
    )
    task.refresh_from_db()
    assert (task.title, task.status) == ("Draft", "open")


# The services say the same, for callers that are not forms (API, commands) ---------------


def test_services_name_the_field_too(world: World) -> None:
    from datetime import date
    from decimal import Decimal

    before = rows()
    with pytest.raises(ValidationError) as end:
        services.project_create(
            actor=None,
            portal=world.portal,
            name="X",
            owner=world.admin,
            start_date=date(2030, 2, 1),
            end_date=date(2030, 1, 1),
        )
    assert set(end.value.message_dict) == {"end_date"}
    with pytest.raises(ValidationError) as rate:
        services.project_update(
            actor=None,
            project=world.project,
            billing_method=BillingMethod.PROJECT_HOURS,
            hourly_rate=Decimal("-5"),
        )
    assert set(rate.value.message_dict) == {"hourly_rate"}
    with pytest.raises(ValidationError) as due:
        plans.milestone_create(
            project=world.project, title="M", start_date=date(2030, 2, 1), due_date=date(2030, 1, 1)
        )
    assert set(due.value.message_dict) == {"due_date"}
    assert rows() == before
    world.project.refresh_from_db()
    assert world.project.billing_method == BillingMethod.NOT_BILLABLE
