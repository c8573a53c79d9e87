"""Every change to a project, its staff and its plan is in the portal's audit log, with
who made it (DESIGN: audit). Client-side changes and visibility (CX2, CX3) are proven in
test_client_view.py."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import models
from django.shortcuts import resolve_url

from portail.audit.models import AuditEvent
from portail.projects import plans
from portail.projects.models import BillingMethod, Project, ProjectStatus
from tests.conftest import World

pytestmark = pytest.mark.django_db


def purl(name: str, project: Project, **kwargs: Any) -> str:
    return resolve_url(f"projects:{name}", portal_slug="acme", project_id=project.pk, **kwargs)


def log(target: models.Model) -> list[tuple[str, Any, Any, int | None]]:
    """(action, before, after, actor user id) of the target's events, oldest first."""
    return [
        (e.action, e.before, e.after, e.actor_id)
        for e in AuditEvent.objects.filter(
            target_type=target._meta.label_lower, target_id=str(target.pk)
        ).order_by("pk")
    ]


def test_creating_editing_archiving_and_restoring_a_project_is_audited(world: World) -> None:
    manager = world.client_for(world.manager)
    manager.post(
        resolve_url("projects:create", portal_slug="acme"),
        {
            "name": "Rebrand",
            "status": ProjectStatus.ACTIVE,
            "owner": world.employee.pk,
            "billing_method": BillingMethod.NOT_BILLABLE,
        },
    )
    project = Project.objects.get(name="Rebrand")
    manager.post(
        purl("edit", project),
        {
            "name": "Rebrand 2031",
            "status": ProjectStatus.ACTIVE,
            "owner": world.employee.pk,
            "billing_method": BillingMethod.NOT_BILLABLE,
        },
    )
    manager.post(purl("archive", project))
    manager.post(purl("restore", project))
    [created, renamed, archived, restored] = log(project)
    me = world.manager.user_id
    assert created[0] == "project.created"
    assert created[2]["name"] == "Rebrand"
    assert created[2]["owner"] == world.employee.pk
    assert created[3] == me
    # The owner is kept by id, named as they were: one convention for every row in the log.
    event = AuditEvent.objects.get(action="project.created", target_id=str(project.pk))
    assert event.names["owner"] == {
        "type": "portals.membership",
        "rows": {str(world.employee.pk): "employee@acme.test"},
    }
    assert renamed == ("project.updated", {"name": "Rebrand"}, {"name": "Rebrand 2031"}, me)
    assert archived == ("project.archived", {"status": "active"}, {"status": "archived"}, me)
    assert restored == ("project.restored", {"status": "archived"}, {"status": "active"}, me)


def test_adding_and_removing_staff_is_audited_once(world: World) -> None:
    """One key per action: staff put on a project are `project_member.added`, as client
    users are, with the project and the person by id and by name."""
    admin = world.client_for(world.admin)
    for _ in range(2):  # adding someone already there changes nothing, and logs nothing
        admin.post(purl("member-add", world.project), {"membership": world.outsider.pk})
    admin.post(purl("member-remove", world.project, membership_id=world.outsider.pk))
    me = world.admin.user_id
    both = {"project": world.project.pk, "membership": world.outsider.pk}
    events = AuditEvent.objects.filter(target_type="projects.projectmember").order_by("pk")
    assert [(e.action, e.before, e.after, e.actor_id) for e in events] == [
        ("project_member.added", None, both, me),
        ("project_member.removed", both, None, me),
    ]
    assert {e.target_label for e in events} == {"outsider@acme.test · Website"}
    assert events[0].names["membership"]["rows"] == {str(world.outsider.pk): "outsider@acme.test"}


def test_closing_reopening_and_deleting_a_milestone_is_audited(world: World) -> None:
    milestone = plans.milestone_create(
        project=world.project, title="Launch", created_by=world.employee
    )
    employee = world.client_for(world.employee)
    employee.post(purl("milestone-close", world.project, milestone_id=milestone.pk))
    employee.post(purl("milestone-reopen", world.project, milestone_id=milestone.pk))
    employee.post(purl("milestone-delete", world.project, milestone_id=milestone.pk))
    me = world.employee.user_id
    created, closed, reopened, deleted = log(milestone)
    assert (created[0], created[2]["title"], created[2]["client_visible"], created[3]) == (
        "milestone.created",
        "Launch",
        False,
        me,
    )
    assert (closed[0], closed[1], closed[3]) == ("milestone.closed", {"closed_at": None}, me)
    assert closed[2]["closed_at"]  # when it was closed
    assert reopened == ("milestone.reopened", closed[2], {"closed_at": None}, me)
    assert deleted[0] == "milestone.deleted"
    assert deleted[1]["title"] == "Launch"
    assert deleted[3] == me


def test_a_task_records_moves_between_milestones_and_people_by_name(world: World) -> None:
    launch = plans.milestone_create(project=world.project, title="Launch")
    task = plans.task_create(project=world.project, title="Copy", created_by=world.admin)
    world.client_for(world.admin).post(
        purl("task-edit", world.project, task_id=task.pk),
        {
            "title": "Copy",
            "status": "in_progress",
            "milestone": launch.pk,
            "assignee": world.employee.pk,
        },
    )
    assert log(task)[-1] == (
        "task.updated",
        {"status": "open", "milestone": None, "assignee": None},
        {"status": "in_progress", "milestone": launch.pk, "assignee": world.employee.pk},
        world.admin.user_id,
    )
    event = AuditEvent.objects.filter(target_id=str(task.pk), action="task.updated").get()
    assert event.names["milestone"]["rows"] == {str(launch.pk): "Launch"}
    assert event.names["assignee"]["rows"] == {str(world.employee.pk): "employee@acme.test"}


def test_a_change_that_fails_leaves_no_audit_event(world: World) -> None:
    before = AuditEvent.objects.count()
    response = world.client_for(world.admin).post(
        purl("milestone-create", world.project),
        {"title": "Backwards", "start_date": "2030-02-01", "due_date": "2030-01-01"},
    )
    assert response.status_code == 200
    assert AuditEvent.objects.count() == before


def test_editing_a_milestone_and_reopening_a_task_are_audited(world: World) -> None:
    milestone = plans.milestone_create(project=world.project, title="Launch")
    task = plans.task_create(
        project=world.project, title="Copy", created_by=world.admin, status="done"
    )
    employee = world.client_for(world.employee)
    employee.post(
        purl("milestone-edit", world.project, milestone_id=milestone.pk),
        {"title": "Launch day", "due_date": "2030-05-01"},
    )
    employee.post(purl("task-reopen", world.project, task_id=task.pk))
    me = world.employee.user_id
    assert log(milestone)[-1] == (
        "milestone.updated",
        {"title": "Launch", "due_date": None},
        {"title": "Launch day", "due_date": "2030-05-01"},
        me,
    )
    assert log(task)[-1] == ("task.reopened", {"status": "done"}, {"status": "open"}, me)
