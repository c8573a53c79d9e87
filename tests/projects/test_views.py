"""The staff project pages do what their buttons say, through the services."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.shortcuts import resolve_url

from portail.projects import plans, services
from portail.projects.models import (
    BillingMethod,
    Milestone,
    Project,
    ProjectMember,
    ProjectStatus,
    Task,
    TaskStatus,
)
from tests.conftest import World

pytestmark = pytest.mark.django_db


def purl(name: str, project: Project, **kwargs: Any) -> str:
    return resolve_url(f"projects:{name}", portal_slug="acme", project_id=project.pk, **kwargs)


def detail(project: Project, anchor: str = "") -> str:
    return purl("detail", project) + (f"#{anchor}" if anchor else "")


# Projects ---------------------------------------------------------------------------------


def test_manager_creates_a_project_and_lands_on_it(world: World) -> None:
    client = world.client_for(world.manager)
    response = client.post(
        resolve_url("projects:create", portal_slug="acme"),
        {
            "name": "  Rebrand  ",
            "description": "New logo and colours.",
            "status": ProjectStatus.ACTIVE,
            "start_date": "2030-01-10",
            "end_date": "2030-03-31",
            "owner": world.employee.pk,
            "billing_method": BillingMethod.PROJECT_HOURS,
            "hourly_rate": "95.50",
            "fixed_cost": "",
        },
    )
    project = Project.objects.get(name="Rebrand")
    assert response.status_code == 302
    assert response["Location"] == detail(project)
    assert project.portal == world.portal
    assert project.owner == world.employee
    assert project.hourly_rate == Decimal("95.50")
    assert project.end_date == date(2030, 3, 31)
    # The owner becomes a member, so the employee now sees it.
    assert ProjectMember.objects.filter(project=project, membership=world.employee).exists()
    page = world.client_for(world.employee).get(detail(project))
    assert page.status_code == 200
    assert b"95.50 EUR per hour" in page.content


def test_bi1_a_french_reader_types_the_project_rate_with_a_decimal_comma(world: World) -> None:
    world.manager.user.language = "fr"
    world.manager.user.save()
    client = world.client_for(world.manager)
    response = client.post(
        resolve_url("projects:create", portal_slug="acme"),
        {
            "name": "Refonte",
            "status": ProjectStatus.ACTIVE,
            "owner": world.manager.pk,
            "billing_method": BillingMethod.PROJECT_HOURS,
            "hourly_rate": "95,50",
        },
    )
    assert response.status_code == 302
    project = Project.objects.get(name="Refonte")
    assert project.hourly_rate == Decimal("95.50")
    assert "95,50 EUR" in client.get(detail(project)).content.decode()
    assert 'value="95,50"' in client.get(purl("edit", project)).content.decode()


def test_create_form_offers_the_portals_active_staff_as_owners(world: World) -> None:
    response = world.client_for(world.admin).get(resolve_url("projects:create", portal_slug="acme"))
    owners = set(response.context["form"].fields["owner"].queryset)
    assert owners == {world.admin, world.manager, world.employee, world.outsider}
    assert response.context["form"]["owner"].value() == world.admin.pk
    assert "archived" not in dict(response.context["form"].fields["status"].choices)


def test_edit_project_changes_it_through_the_service(world: World) -> None:
    client = world.client_for(world.employee)
    page = client.get(purl("edit", world.project))
    assert page.context["form"]["name"].value() == "Website"
    response = client.post(
        purl("edit", world.project),
        {
            "name": "Website v2",
            "description": "",
            "status": ProjectStatus.ON_HOLD,
            "start_date": "",
            "end_date": "",
            "owner": world.admin.pk,
            "billing_method": BillingMethod.FIXED_COST,
            "hourly_rate": "",
            "fixed_cost": "12000",
        },
    )
    assert response.status_code == 302
    world.project.refresh_from_db()
    assert world.project.name == "Website v2"
    assert world.project.status == ProjectStatus.ON_HOLD
    assert world.project.fixed_cost == Decimal("12000")


def test_archive_hides_the_project_from_the_list_and_restore_brings_it_back(world: World) -> None:
    client = world.client_for(world.admin)
    list_url = resolve_url("projects:list", portal_slug="acme")
    assert client.post(purl("archive", world.project)).status_code == 302
    world.project.refresh_from_db()
    assert world.project.status == ProjectStatus.ARCHIVED
    assert world.project.archived_at is not None
    assert b"Website" not in client.get(list_url).content
    archived = client.get(list_url, {"status": "archived"})
    assert [row.project for row in archived.context["rows"]] == [world.project]
    page = client.get(detail(world.project))
    assert b"This project was archived on" in page.content

    assert client.post(purl("restore", world.project)).status_code == 302
    world.project.refresh_from_db()
    assert world.project.status == ProjectStatus.ACTIVE
    assert world.project.archived_at is None
    assert b"Website" in client.get(list_url).content


def test_list_ignores_an_unknown_status_filter(world: World) -> None:
    response = world.client_for(world.admin).get(
        resolve_url("projects:list", portal_slug="acme"), {"status": "nonsense"}
    )
    assert response.status_code == 200
    assert response.context["status"] == "current"


def test_project_page_shows_overview_milestones_and_tasks(world: World) -> None:
    milestone = plans.milestone_create(project=world.project, title="Design phase")
    plans.task_create(
        project=world.project,
        title="Wireframes",
        created_by=world.admin,
        milestone=milestone,
        assignee=world.employee,
    )
    plans.task_create(
        project=world.project, title="Hosting", created_by=world.admin, status=TaskStatus.DONE
    )
    response = world.client_for(world.employee).get(detail(world.project))
    content = response.content.decode()
    for text in ("Website", "Design phase", "Wireframes", "Hosting", "Emma Employee", "Ada Admin"):
        assert text in content
    assert "1/2 tasks · 50 %" in content
    assert "Tasks without a milestone" in content


# Members ----------------------------------------------------------------------------------


def test_add_and_remove_a_staff_member(world: World) -> None:
    client = world.client_for(world.manager)
    response = client.post(purl("member-add", world.project), {"membership": world.outsider.pk})
    assert response.status_code == 302
    assert response["Location"] == purl("staff", world.project)
    assert world.client_for(world.outsider).get(detail(world.project)).status_code == 200
    assert "Oscar Outsider" in client.get(purl("staff", world.project)).content.decode()

    response = client.post(purl("member-remove", world.project, membership_id=world.outsider.pk))
    assert response.status_code == 302
    assert response["Location"] == purl("staff", world.project)
    assert not ProjectMember.objects.filter(
        project=world.project, membership=world.outsider
    ).exists()
    assert world.client_for(world.outsider).get(detail(world.project)).status_code == 404


def test_the_owner_cannot_be_removed(world: World) -> None:
    client = world.client_for(world.manager)
    response = client.post(
        purl("member-remove", world.project, membership_id=world.admin.pk), follow=True
    )
    assert b"The project owner cannot leave the project." in response.content
    assert ProjectMember.objects.filter(project=world.project, membership=world.admin).exists()


def test_adding_someone_of_another_portal_names_the_field(world: World) -> None:
    client = world.client_for(world.admin)
    response = client.post(purl("member-add", world.project), {"membership": world.other_admin.pk})
    assert response.status_code == 200
    assert "membership" in response.context["member_form"].errors
    assert not ProjectMember.objects.filter(membership=world.other_admin, project=world.project)


# Milestones -------------------------------------------------------------------------------


def test_milestone_add_edit_close_reopen_delete(world: World) -> None:
    client = world.client_for(world.employee)
    assert client.get(purl("milestone-create", world.project)).status_code == 200
    response = client.post(
        purl("milestone-create", world.project),
        {"title": "Launch", "description": "", "start_date": "2030-05-01", "due_date": ""},
    )
    milestone = Milestone.objects.get(project=world.project)
    assert response["Location"] == detail(world.project, f"milestone-{milestone.pk}")
    assert milestone.portal_id == world.portal.pk

    edit = purl("milestone-edit", world.project, milestone_id=milestone.pk)
    assert client.get(edit).context["form"]["title"].value() == "Launch"
    client.post(edit, {"title": "Go live", "start_date": "2030-05-01", "due_date": "2030-06-01"})
    milestone.refresh_from_db()
    assert (milestone.title, milestone.due_date) == ("Go live", date(2030, 6, 1))

    client.post(purl("milestone-close", world.project, milestone_id=milestone.pk))
    milestone.refresh_from_db()
    assert milestone.is_closed
    page = client.get(detail(world.project))
    assert b"Reopen" in page.content

    client.post(purl("milestone-reopen", world.project, milestone_id=milestone.pk))
    milestone.refresh_from_db()
    assert not milestone.is_closed

    task = plans.task_create(
        project=world.project, title="Stays", created_by=None, milestone=milestone
    )
    client.post(purl("milestone-delete", world.project, milestone_id=milestone.pk))
    assert not Milestone.objects.filter(pk=milestone.pk).exists()
    task.refresh_from_db()
    assert task.milestone_id is None


# Tasks ------------------------------------------------------------------------------------


def test_quick_add_creates_an_open_task_in_the_milestone(world: World) -> None:
    milestone = plans.milestone_create(project=world.project, title="Design")
    client = world.client_for(world.employee)
    response = client.post(
        purl("task-create", world.project), {"title": "Logo", "milestone": milestone.pk}
    )
    task = Task.objects.get(title="Logo")
    assert response["Location"] == detail(world.project, f"task-{task.pk}")
    assert task.milestone == milestone
    assert task.status == TaskStatus.OPEN
    assert task.created_by == world.employee
    assert task.portal_id == world.portal.pk


def test_task_form_preselects_the_milestone_it_was_opened_from(world: World) -> None:
    milestone = plans.milestone_create(project=world.project, title="Design")
    response = world.client_for(world.admin).get(
        purl("task-create", world.project), {"milestone": milestone.pk}
    )
    assert response.context["form"]["milestone"].value() == str(milestone.pk)


def test_edit_task_with_every_field(world: World) -> None:
    milestone = plans.milestone_create(project=world.project, title="Build")
    task = plans.task_create(project=world.project, title="Draft", created_by=world.admin)
    client = world.client_for(world.admin)
    edit = purl("task-edit", world.project, task_id=task.pk)
    assert client.get(edit).status_code == 200
    response = client.post(
        edit,
        {
            "title": "Final",
            "description": "All pages",
            "status": TaskStatus.IN_PROGRESS,
            "due_date": "2030-02-01",
            "milestone": milestone.pk,
            "assignee": world.employee.pk,
        },
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.title, task.status, task.milestone, task.assignee) == (
        "Final",
        TaskStatus.IN_PROGRESS,
        milestone,
        world.employee,
    )
    assert task.due_date == date(2030, 2, 1)


def test_issue13_task_rows_link_each_task_reversed_once_per_page(world: World) -> None:
    """The page's task rows carry their own links (web.row_url): the tick of an open task
    marks it done, a done one's reopens it, and each has its edit and delete links."""
    open_task = plans.task_create(project=world.project, title="Open", created_by=world.admin)
    done_task = plans.task_create(project=world.project, title="Done", created_by=world.admin)
    plans.task_set_done(task=done_task, done=True, actor=world.admin.user)
    content = world.client_for(world.admin).get(detail(world.project)).content.decode()
    for name, task in [
        ("task-done", open_task),
        ("task-reopen", done_task),
        ("task-edit", open_task),
        ("task-edit", done_task),
        ("task-delete", open_task),
        ("task-delete", done_task),
    ]:
        assert f'"{purl(name, world.project, task_id=task.pk)}"' in content, (name, task.title)
    assert purl("task-reopen", world.project, task_id=open_task.pk) not in content
    assert purl("task-done", world.project, task_id=done_task.pk) not in content


def test_ticking_a_task_without_javascript_redirects_back_to_it(world: World) -> None:
    task = plans.task_create(project=world.project, title="Draft", created_by=world.admin)
    client = world.client_for(world.employee)
    response = client.post(purl("task-done", world.project, task_id=task.pk))
    assert response.status_code == 302
    assert response["Location"] == detail(world.project, f"task-{task.pk}")
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert task.completed_at is not None

    client.post(purl("task-reopen", world.project, task_id=task.pk))
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    assert task.completed_at is None


def test_a_task_whose_assignee_left_the_project_can_still_be_ticked_done(world: World) -> None:
    task = plans.task_create(
        project=world.project, title="Draft", created_by=world.admin, assignee=world.employee
    )
    services.project_member_remove(actor=None, project=world.project, membership=world.employee)
    client = world.client_for(world.admin)
    response = client.post(purl("task-done", world.project, task_id=task.pk))
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert task.assignee == world.employee  # the record of who did it stays


def test_moving_a_task_to_someone_not_on_the_project_is_refused(world: World) -> None:
    task = plans.task_create(project=world.project, title="Draft", created_by=world.admin)
    with pytest.raises(ValidationError) as error:
        plans.task_update(actor=None, task=task, assignee=world.outsider)
    assert "assignee" in error.value.message_dict
    task.refresh_from_db()
    assert task.assignee is None


def test_ticking_a_task_with_htmx_returns_the_row_and_the_new_progress(world: World) -> None:
    milestone = plans.milestone_create(project=world.project, title="Design")
    task = plans.task_create(
        project=world.project, title="Logo", created_by=world.admin, milestone=milestone
    )
    plans.task_create(project=world.project, title="Other", created_by=world.admin)
    client = world.client_for(world.employee)
    response = client.post(
        purl("task-done", world.project, task_id=task.pk), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert content.lstrip().startswith(f'<li class="task is-done" id="task-{task.pk}">')
    # The row now offers to reopen, and the bars moved, out of band.
    assert purl("task-reopen", world.project, task_id=task.pk) in content
    assert 'id="project-progress" hx-swap-oob="true"' in content
    assert "1/2 tasks · 50 %" in content
    assert f'id="milestone-{milestone.pk}-progress" hx-swap-oob="true"' in content
    assert "1/1 tasks · 100 %" in content
    assert "<html" not in content


def test_htmx_tick_of_a_task_without_milestone_updates_only_the_project_bar(world: World) -> None:
    task = plans.task_create(project=world.project, title="Loose", created_by=world.admin)
    response = world.client_for(world.admin).post(
        purl("task-done", world.project, task_id=task.pk), HTTP_HX_REQUEST="true"
    )
    content = response.content.decode()
    assert 'id="project-progress"' in content
    assert "milestone-" not in content


def test_delete_task(world: World) -> None:
    task = plans.task_create(project=world.project, title="Oops", created_by=world.admin)
    response = world.client_for(world.employee).post(
        purl("task-delete", world.project, task_id=task.pk)
    )
    assert response.status_code == 302
    assert not Task.objects.filter(pk=task.pk).exists()


def test_every_page_renders_for_an_employee_on_the_project(world: World) -> None:
    """Every GET page renders for an employee on the project (templates resolve every URL)."""
    milestone = plans.milestone_create(project=world.project, title="M")
    task = plans.task_create(project=world.project, title="T", created_by=world.admin)
    client = world.client_for(world.employee)
    for path in (
        detail(world.project),
        purl("edit", world.project),
        purl("milestone-create", world.project),
        purl("milestone-edit", world.project, milestone_id=milestone.pk),
        purl("task-create", world.project),
        purl("task-edit", world.project, task_id=task.pk),
    ):
        assert client.get(path).status_code == 200, path


# Archived projects ------------------------------------------------------------------------


def test_an_archived_project_is_read_only_until_it_is_restored(world: World) -> None:
    launch = plans.milestone_create(project=world.project, title="Launch")
    task = plans.task_create(project=world.project, title="Copy", created_by=world.admin)
    admin = world.client_for(world.admin)
    admin.post(purl("archive", world.project))

    page = admin.get(detail(world.project)).content.decode()
    assert "read-only" in page
    assert purl("restore", world.project) in page  # staff still manage it
    for name, kwargs in [
        ("task-create", {}),
        ("milestone-create", {}),
        ("task-done", {"task_id": task.pk}),
        ("task-edit", {"task_id": task.pk}),
        ("milestone-close", {"milestone_id": launch.pk}),
        ("milestone-delete", {"milestone_id": launch.pk}),
    ]:
        assert purl(name, world.project, **kwargs) not in page
        response = admin.post(purl(name, world.project, **kwargs), {"title": "Changed"})
        assert response.status_code == 403, name
    task.refresh_from_db()
    launch.refresh_from_db()
    assert (task.title, task.status, launch.closed_at) == ("Copy", TaskStatus.OPEN, None)
    assert Milestone.objects.filter(pk=launch.pk).exists()
    assert admin.get(purl("edit", world.project)).status_code == 200

    admin.post(purl("restore", world.project))
    assert admin.post(purl("task-done", world.project, task_id=task.pk)).status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE


def test_issue13_project_list_rows_link_their_page_and_count_closed_milestones(
    world: World,
) -> None:
    """The list's links are reversed once for the page and its words made in Python
    (no {% url %} or {% blocktranslate %} per row): each row still links its project
    and says how many of its milestones are closed."""
    second = services.project_create(
        portal=world.portal, name="Second project", owner=world.admin, actor=world.admin.user
    )
    for title in ("Design", "Build"):
        plans.milestone_create(project=world.project, title=title)
    content = world.client_for(world.admin).get(resolve_url("projects:list", portal_slug="acme"))
    page = content.content.decode()
    for project in (world.project, second):
        assert f'href="{detail(project)}"' in page, project.name
    assert "0/2 closed" in page
