"""What a client user sees of their projects, and may do there (RULES CX1, CX2, CX3, PE5).

Paul (the world's client, company "Bowman Test Co", built-in profile: view everything,
add tasks, edit and delete his own) is put on the project "Website" here. Staff mark
items visible to clients or keep them internal (CX3); Paul sees only the visible ones,
within his levels, and only the actions his permissions give (CX2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.shortcuts import resolve_url
from django.test import Client

from portail.access.catalogue import Level, builtin_client_permissions
from portail.access.models import PermissionOverride
from portail.audit.models import AuditEvent
from portail.clients import project_clients
from portail.clients.models import ClientCompany
from portail.portals.models import Membership
from portail.projects import plans, services
from portail.projects.models import (
    BillingMethod,
    Milestone,
    Project,
    ProjectMember,
    Task,
    TaskStatus,
)
from tests.conftest import World, make_member, make_project

pytestmark = pytest.mark.django_db


def purl(name: str, project: Project, **kwargs: Any) -> str:
    return resolve_url(f"projects:{name}", portal_slug="acme", project_id=project.pk, **kwargs)


def join(membership: Membership, project: Project) -> ProjectMember:
    return ProjectMember.objects.create(
        portal_id=project.portal_id, project=project, membership=membership
    )


def customise(member: ProjectMember, **levels: str) -> None:
    """Give the member a customisation: the built-in set with `levels` changed."""
    permissions = {
        **builtin_client_permissions(),
        **{k.replace("_", "."): v for k, v in levels.items()},
    }
    PermissionOverride.objects.create(
        portal_id=member.portal_id, member=member, permissions=permissions
    )


@dataclass
class Scene:
    world: World
    member: ProjectMember  # Paul on the project
    launch: Milestone  # visible
    planning: Milestone  # internal, due first
    copy: Task  # visible, in Launch, done, added by staff
    colours: Task  # visible, no milestone, open, added by staff
    budget: Task  # internal, in Launch
    secret: Task  # internal, no milestone

    @property
    def paul(self) -> Client:
        return self.world.client_for(self.world.client)


@pytest.fixture
def scene(world: World) -> Scene:
    project = world.project
    company = world.client.client_company
    assert company is not None
    project_clients.project_client_add(project=project, company=company, actor=None)
    member = join(world.client, project)
    planning = plans.milestone_create(
        project=project, title="Internal planning", due_date=date(2030, 1, 1)
    )
    launch = plans.milestone_create(
        project=project, title="Launch", due_date=date(2030, 6, 1), client_visible=True
    )
    copy = plans.task_create(
        project=project,
        title="Write copy",
        created_by=world.admin,
        milestone=launch,
        status=TaskStatus.DONE,
        client_visible=True,
    )
    colours = plans.task_create(
        project=project, title="Pick colours", created_by=world.admin, client_visible=True
    )
    budget = plans.task_create(
        project=project, title="Budget review", created_by=world.admin, milestone=launch
    )
    secret = plans.task_create(project=project, title="Secret margin", created_by=world.admin)
    return Scene(world, member, launch, planning, copy, colours, budget, secret)


INTERNAL_TITLES = ("Internal planning", "Budget review", "Secret margin")


# CX1: the client's home --------------------------------------------------------------------


def test_cx1_client_home_lists_their_projects_with_visible_progress(scene: Scene) -> None:
    w = scene.world
    make_project(w.portal, w.admin, "Not theirs")
    response = scene.paul.get(resolve_url("projects:list", portal_slug="acme"))
    assert response.status_code == 200
    (row,) = response.context["rows"]
    assert row.project.name == "Website"
    # Only client-visible work counts: 1 of 2 visible tasks, 0 of 1 visible milestone.
    assert (row.tasks.done, row.tasks.total, row.tasks.percent) == (1, 2, 50)
    assert (row.milestones.done, row.milestones.total) == (0, 1)
    # The internal milestone is due first; the next one Paul may know of is Launch.
    assert row.next_milestone.title == "Launch"
    content = response.content.decode()
    assert purl("detail", w.project) in content
    assert "1/2 tasks · 50 %" in content
    for text in (*INTERNAL_TITLES, "Not theirs", "Other website"):
        assert text not in content


def test_cx1_progress_follows_each_projects_own_levels(scene: Scene) -> None:
    """A customisation in one project (tasks: own only) counts only his tasks there."""
    w = scene.world
    second = make_project(w.portal, w.manager, "Brochure")
    customise(join(w.client, second), tasks_view=Level.OWN)
    plans.task_create(project=second, title="Staff's", created_by=w.manager, client_visible=True)
    plans.task_create(project=second, title="By Paul", created_by=w.client)
    plans.task_create(
        project=second,
        title="Assigned to Paul",
        created_by=w.manager,
        assignee=w.client,
        client_visible=True,
        status=TaskStatus.DONE,
    )
    plans.task_create(
        project=second, title="Internal, assigned", created_by=w.manager, assignee=w.client
    )
    response = scene.paul.get(resolve_url("projects:list", portal_slug="acme"))
    rows = {row.project.name: row for row in response.context["rows"]}
    assert set(rows) == {"Website", "Brochure"}
    assert (rows["Brochure"].tasks.done, rows["Brochure"].tasks.total) == (1, 2)
    assert (rows["Website"].tasks.done, rows["Website"].tasks.total) == (1, 2)


def test_cx1_a_customisation_without_project_view_hides_that_project(scene: Scene) -> None:
    w = scene.world
    second = make_project(w.portal, w.manager, "Brochure")
    customise(join(w.client, second), project_view=Level.NONE)
    response = scene.paul.get(resolve_url("projects:list", portal_slug="acme"))
    assert [row.project.name for row in response.context["rows"]] == ["Website"]
    assert scene.paul.get(purl("detail", second)).status_code == 404


# CX2: the project page -------------------------------------------------------------------


def test_cx2_client_sees_visible_items_and_no_staff_parts(scene: Scene) -> None:
    w = scene.world
    Project.objects.filter(pk=w.project.pk).update(
        billing_method=BillingMethod.PROJECT_HOURS, hourly_rate=Decimal("123.45")
    )
    ProjectMember.objects.filter(project=w.project, membership=w.employee).update(
        hourly_rate=Decimal("77.50")
    )
    response = scene.paul.get(purl("detail", w.project))
    assert response.status_code == 200
    assert response.templates[0].name == "projects/client_detail.html"
    content = response.content.decode()
    for text in ("Website", "Launch", "Write copy", "Pick colours", "1/2 tasks · 50 %"):
        assert text in content, text
    for text in (
        *INTERNAL_TITLES,
        "Edit project",
        "Archive",
        "Billing",
        "123.45",
        "77.50",
        "Internal",
        purl("staff", w.project),
        purl("edit", w.project),
    ):
        assert text not in content, text


def test_cx2_people_are_staff_and_own_company_never_other_companies(scene: Scene) -> None:
    w = scene.world
    bowman = w.client.client_company
    assert bowman is not None
    colleague = make_member(w.portal, "bob@bowman.test", "client", "Bob Bowman")
    join(colleague, w.project)
    vasseur = ClientCompany.objects.create(portal=w.portal, name="Vasseur")
    project_clients.project_client_add(project=w.project, company=vasseur, actor=None)
    claire = make_member(w.portal, "claire@vasseur.test", "client", "Claire Vasseur")
    Membership.objects.filter(pk=claire.pk).update(client_company=vasseur)
    join(claire, w.project)
    nameless = make_member(w.portal, "nameless@acme.test")
    join(nameless, w.project)

    response = scene.paul.get(purl("detail", w.project))
    content = response.content.decode()
    names = {person.name for person in response.context["view"].people}
    assert names == {"Ada Admin", "Emma Employee", "Paul Bowman", "Bob Bowman", "Name not given"}
    assert "Bob Bowman" in content
    assert "Emma Employee" in content
    for text in ("Claire", "Vasseur", "@acme.test", "@bowman.test", "@vasseur.test"):
        assert text not in content, text


def test_cx2_without_users_view_there_are_no_people(scene: Scene) -> None:
    customise(scene.member, users_view=Level.NONE)
    response = scene.paul.get(purl("detail", scene.world.project))
    assert response.context["view"].people == []
    assert "Emma Employee" not in response.content.decode()


def test_cx2_a_client_without_tasks_add_gets_no_add_task_and_a_post_is_refused(
    scene: Scene,
) -> None:
    customise(scene.member, tasks_add=Level.NONE)
    page = scene.paul.get(purl("detail", scene.world.project)).content.decode()
    assert "Add task" not in page
    assert "New task title" not in page
    assert purl("task-create", scene.world.project) not in page
    assert scene.paul.get(purl("task-create", scene.world.project)).status_code == 403
    response = scene.paul.post(purl("task-create", scene.world.project), {"title": "Sneaky"})
    assert response.status_code == 403
    assert not Task.objects.filter(title="Sneaky").exists()


def test_cx2_a_client_with_tasks_add_adds_a_visible_task_of_their_own(scene: Scene) -> None:
    w = scene.world
    page = scene.paul.get(purl("detail", w.project)).content.decode()
    assert "Add task" in page
    form = scene.paul.get(purl("task-create", w.project)).context["form"]
    assert set(form.fields) == {"title", "description", "status", "due_date", "milestone", "quick"}
    # The milestone choice offers the visible milestones only.
    assert list(form.fields["milestone"].queryset) == [scene.launch]
    response = scene.paul.post(
        purl("task-create", w.project),
        # A staff-only field sent anyway is ignored: no assignee, no visibility choice.
        {"title": "Client idea", "milestone": scene.launch.pk, "assignee": w.employee.pk},
    )
    assert response.status_code == 302
    task = Task.objects.get(title="Client idea")
    assert task.client_visible is True
    assert task.created_by == w.client
    assert task.assignee is None
    assert "Client idea" in scene.paul.get(purl("detail", w.project)).content.decode()


def test_cx2_a_client_cannot_add_into_an_internal_milestone(scene: Scene) -> None:
    response = scene.paul.post(
        purl("task-create", scene.world.project),
        {"title": "Into hiding", "milestone": scene.planning.pk},
    )
    assert response.status_code == 200
    assert "milestone" in response.context["form"].errors
    assert not Task.objects.filter(title="Into hiding").exists()


def test_cx2_own_levels_allow_their_own_task_and_refuse_others(scene: Scene) -> None:
    """The built-in profile: tasks.edit and tasks.delete at `own` (done/reopen is an edit)."""
    w = scene.world
    mine = plans.task_create(project=w.project, title="Task by Paul", created_by=w.client)
    page = scene.paul.get(purl("detail", w.project)).content.decode()
    assert purl("task-edit", w.project, task_id=mine.pk) in page
    assert purl("task-delete", w.project, task_id=mine.pk) in page
    assert purl("task-done", w.project, task_id=mine.pk) in page
    for other in (scene.copy, scene.colours):
        for name in ("task-edit", "task-delete", "task-done", "task-reopen"):
            assert purl(name, w.project, task_id=other.pk) not in page

    assert scene.paul.get(purl("task-edit", w.project, task_id=mine.pk)).status_code == 200
    response = scene.paul.post(
        purl("task-edit", w.project, task_id=mine.pk), {"title": "Task by Paul, renamed"}
    )
    assert response.status_code == 302
    assert scene.paul.post(purl("task-done", w.project, task_id=mine.pk)).status_code == 302
    mine.refresh_from_db()
    assert (mine.title, mine.status) == ("Task by Paul, renamed", TaskStatus.DONE)

    for name in ("task-edit", "task-done", "task-delete"):
        assert scene.paul.post(purl(name, w.project, task_id=scene.colours.pk)).status_code == 403
    scene.colours.refresh_from_db()
    assert (scene.colours.title, scene.colours.status) == ("Pick colours", TaskStatus.OPEN)

    assert scene.paul.post(purl("task-delete", w.project, task_id=mine.pk)).status_code == 302
    assert not Task.objects.filter(pk=mine.pk).exists()


def test_cx2_a_task_assigned_to_them_counts_as_their_own(scene: Scene) -> None:
    w = scene.world
    Task.objects.filter(pk=scene.colours.pk).update(assignee=w.client)
    response = scene.paul.post(purl("task-done", w.project, task_id=scene.colours.pk))
    assert response.status_code == 302


def test_cx2_internal_items_are_404_even_with_the_permission(scene: Scene) -> None:
    w = scene.world
    customise(scene.member, milestones_edit=Level.ALL, tasks_edit=Level.ALL)
    for name, kwargs in (
        ("task-edit", {"task_id": scene.budget.pk}),
        ("task-done", {"task_id": scene.secret.pk}),
        ("task-delete", {"task_id": scene.secret.pk}),
        ("milestone-edit", {"milestone_id": scene.planning.pk}),
        ("milestone-close", {"milestone_id": scene.planning.pk}),
    ):
        assert scene.paul.post(purl(name, w.project, **kwargs)).status_code == 404, name
    # The visible ones, with the same permission: allowed.
    assert scene.paul.get(purl("task-edit", w.project, task_id=scene.colours.pk)).status_code == 200
    edit = purl("milestone-edit", w.project, milestone_id=scene.launch.pk)
    assert scene.paul.get(edit).status_code == 200
    assert Task.objects.filter(pk=scene.secret.pk).exists()


def test_cx2_own_view_level_shows_and_reaches_only_their_tasks(scene: Scene) -> None:
    w = scene.world
    customise(scene.member, tasks_view=Level.OWN)
    mine = plans.task_create(project=w.project, title="Task by Paul", created_by=w.client)
    page = scene.paul.get(purl("detail", w.project)).content.decode()
    assert "Task by Paul" in page
    assert "Pick colours" not in page
    assert "Write copy" not in page
    # Others' tasks are not his to see: 404, not 403.
    assert scene.paul.get(purl("task-edit", w.project, task_id=scene.colours.pk)).status_code == 404
    assert scene.paul.get(purl("task-edit", w.project, task_id=mine.pk)).status_code == 200


def test_cx2_modules_they_may_not_view_are_absent(scene: Scene) -> None:
    customise(scene.member, tasks_view=Level.NONE, tasks_add=Level.NONE, milestones_view=Level.NONE)
    response = scene.paul.get(purl("detail", scene.world.project))
    assert response.status_code == 200
    content = response.content.decode()
    for text in ("Launch", "Write copy", "Pick colours", "tasks ·", "Milestones and tasks"):
        assert text not in content, text


def test_cx2_staff_pages_of_the_project_are_404_to_clients(scene: Scene) -> None:
    w = scene.world
    for name in ("edit", "staff", "archive", "restore", "member-add"):
        assert scene.paul.post(purl(name, w.project)).status_code == 404, name
    remove = purl("member-remove", w.project, membership_id=w.employee.pk)
    assert scene.paul.post(remove).status_code == 404
    view_as = purl("view-as", w.project, membership_id=w.client.pk)
    assert scene.paul.get(view_as).status_code == 404


def test_pc8_staff_member_remove_does_not_take_client_users_off(scene: Scene) -> None:
    """Client users leave a project through the Client users tab (audited, PC8), never
    through the staff members' remove button: a client's id there is 404."""
    w = scene.world
    admin = w.client_for(w.admin)
    remove = purl("member-remove", w.project, membership_id=w.client.pk)
    assert admin.post(remove).status_code == 404
    assert ProjectMember.objects.filter(pk=scene.member.pk).exists()


def test_cx2_milestones_permissions_given_by_a_customisation(scene: Scene) -> None:
    w = scene.world
    customise(scene.member, milestones_add=Level.ALL)  # still no milestones.edit
    page = scene.paul.get(purl("detail", w.project)).content.decode()
    assert "Add milestone" in page
    assert purl("milestone-edit", w.project, milestone_id=scene.launch.pk) not in page
    form = scene.paul.get(purl("milestone-create", w.project)).context["form"]
    assert "client_visible" not in form.fields
    response = scene.paul.post(purl("milestone-create", w.project), {"title": "Client review"})
    assert response.status_code == 302
    added = Milestone.objects.get(title="Client review")
    assert (added.client_visible, added.created_by) == (True, w.client)
    assert (
        scene.paul.post(
            purl("milestone-edit", w.project, milestone_id=scene.launch.pk), {"title": "x"}
        ).status_code
        == 403
    )


def test_cx2_ticking_a_task_answers_with_visible_progress_only(scene: Scene) -> None:
    w = scene.world
    mine = plans.task_create(
        project=w.project, title="Task by Paul", created_by=w.client, milestone=scene.launch
    )
    response = scene.paul.post(
        purl("task-done", w.project, task_id=mine.pk), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    content = response.content.decode()
    # Visible: Write copy (done), Pick colours, Task by Paul (done now). Internal ones not counted.
    assert "2/3 tasks · 66 %" in content
    # In Launch: Write copy and Task by Paul, both done (Budget review is internal).
    assert "2/2 tasks · 100 %" in content
    assert "Internal" not in content


def test_cx2_editing_keeps_a_task_in_an_internal_milestone(scene: Scene) -> None:
    w = scene.world
    mine = plans.task_create(project=w.project, title="Task by Paul", created_by=w.client)
    Task.objects.filter(pk=mine.pk).update(milestone=scene.planning)
    form = scene.paul.get(purl("task-edit", w.project, task_id=mine.pk)).context["form"]
    assert "milestone" not in form.fields
    scene.paul.post(purl("task-edit", w.project, task_id=mine.pk), {"title": "Renamed"})
    mine.refresh_from_db()
    assert (mine.title, mine.milestone_id) == ("Renamed", scene.planning.pk)


def test_cx2_a_client_of_the_company_not_on_the_project_gets_404(scene: Scene) -> None:
    w = scene.world
    olivia = make_member(w.portal, "olivia@bowman.test", "client", "Olivia Bowman")
    assert w.client_for(olivia).get(purl("detail", w.project)).status_code == 404


# CX3: visible to clients, or internal ---------------------------------------------------


def test_cx3_staff_mark_milestones_and_tasks_visible_to_clients(scene: Scene) -> None:
    w = scene.world
    staff = w.client_for(w.employee)
    form = staff.get(purl("task-create", w.project)).context["form"]
    assert "client_visible" in form.fields
    assert "assignee" in form.fields
    staff.post(purl("milestone-create", w.project), {"title": "Shown", "client_visible": "on"})
    staff.post(purl("milestone-create", w.project), {"title": "Hidden"})
    staff.post(purl("task-create", w.project), {"title": "Shown task", "client_visible": "on"})
    staff.post(purl("task-create", w.project), {"title": "Hidden task"})
    assert Milestone.objects.get(title="Shown").client_visible is True
    assert Milestone.objects.get(title="Hidden").client_visible is False
    assert Task.objects.get(title="Shown task").client_visible is True
    assert Task.objects.get(title="Hidden task").client_visible is False

    page = scene.paul.get(purl("detail", w.project)).content.decode()
    assert "Shown task" in page
    assert "Hidden task" not in page
    assert ">Shown<" in page
    assert "Hidden<" not in page

    # Unticking hides it again.
    shown = Task.objects.get(title="Shown task")
    edit = purl("task-edit", w.project, task_id=shown.pk)
    assert staff.get(edit).context["form"]["client_visible"].value() is True
    staff.post(edit, {"title": "Shown task"})
    shown.refresh_from_db()
    assert shown.client_visible is False
    assert "Shown task" not in scene.paul.get(purl("detail", w.project)).content.decode()
    assert scene.paul.get(edit).status_code == 404


def test_cx3_quick_add_takes_the_milestones_visibility(scene: Scene) -> None:
    w = scene.world
    staff = w.client_for(w.employee)
    create = purl("task-create", w.project)
    staff.post(create, {"title": "In Launch", "milestone": scene.launch.pk, "quick": "1"})
    staff.post(create, {"title": "In planning", "milestone": scene.planning.pk, "quick": "1"})
    staff.post(create, {"title": "Loose", "quick": "1"})
    visible = dict(
        Task.objects.filter(title__in=["In Launch", "In planning", "Loose"]).values_list(
            "title", "client_visible"
        )
    )
    assert visible == {"In Launch": True, "In planning": False, "Loose": False}
    # The full form, opened from a milestone, starts with its visibility.
    form = staff.get(create, {"milestone": scene.launch.pk}).context["form"]
    assert form["client_visible"].value() is True


def test_cx3_staff_see_every_item_with_internal_ones_marked(scene: Scene) -> None:
    response = scene.world.client_for(scene.world.employee).get(purl("detail", scene.world.project))
    content = response.content.decode()
    for text in ("Launch", "Write copy", "Pick colours", *INTERNAL_TITLES):
        assert text in content, text
    # Internal planning, Budget review and Secret margin carry the mark.
    assert content.count('class="badge badge-internal"') == 3


def test_cx3_what_a_client_adds_is_visible_whatever_the_caller_asks(world: World) -> None:
    task = plans.task_create(
        project=world.project, title="Asked", created_by=world.client, client_visible=False
    )
    milestone = plans.milestone_create(
        project=world.project, title="Asked", created_by=world.client
    )
    assert task.client_visible
    assert milestone.client_visible
    staff_task = plans.task_create(project=world.project, title="Staff", created_by=world.admin)
    assert staff_task.client_visible is False


# Audit: what a client user does, and what staff show or hide, leave a trace -------------


def events(target: Milestone | Task) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            target_type=target._meta.label_lower, target_id=str(target.pk)
        ).order_by("pk")
    )


def test_cx2_a_task_a_client_adds_edits_and_deletes_is_audited_as_theirs(scene: Scene) -> None:
    w = scene.world
    scene.paul.post(purl("task-create", w.project), {"title": "Client idea"})
    task = Task.objects.get(title="Client idea")
    scene.paul.post(purl("task-edit", w.project, task_id=task.pk), {"title": "Client idea, v2"})
    scene.paul.post(purl("task-done", w.project, task_id=task.pk))
    created, renamed, done = events(task)
    assert created.action == "task.created"
    assert created.after is not None
    assert created.after["title"] == "Client idea"
    assert created.after["client_visible"] is True
    assert (renamed.action, renamed.before, renamed.after) == (
        "task.updated",
        {"title": "Client idea"},
        {"title": "Client idea, v2"},
    )
    assert (done.action, done.before, done.after) == (
        "task.done",
        {"status": "open"},
        {"status": "done"},
    )
    assert {e.actor_id for e in (created, renamed, done)} == {w.client.user_id}

    scene.paul.post(purl("task-delete", w.project, task_id=task.pk))
    deleted = events(task)[-1]
    assert (deleted.action, deleted.actor_id) == ("task.deleted", w.client.user_id)
    assert deleted.before is not None
    assert deleted.before["title"] == "Client idea, v2"
    assert deleted.portal_id == w.portal.pk


def test_cx3_showing_and_hiding_a_task_is_audited_as_a_visibility_change(scene: Scene) -> None:
    w = scene.world
    staff = w.client_for(w.employee)
    edit = purl("task-edit", w.project, task_id=scene.secret.pk)
    staff.post(edit, {"title": "Secret margin", "status": "open", "client_visible": "on"})
    staff.post(edit, {"title": "Secret margin", "status": "open"})
    shown, hidden = events(scene.secret)[1:]
    assert (shown.action, shown.before, shown.after) == (
        "task.visibility_changed",
        {"client_visible": False},
        {"client_visible": True},
    )
    assert (hidden.action, hidden.before, hidden.after) == (
        "task.visibility_changed",
        {"client_visible": True},
        {"client_visible": False},
    )
    assert {shown.actor_id, hidden.actor_id} == {w.employee.user_id}


def test_cx3_showing_a_milestone_to_clients_is_audited(scene: Scene) -> None:
    w = scene.world
    staff = w.client_for(w.employee)
    staff.post(
        purl("milestone-edit", w.project, milestone_id=scene.planning.pk),
        {"title": "Internal planning", "due_date": "2030-01-01", "client_visible": "on"},
    )
    changed = events(scene.planning)[-1]
    assert (changed.action, changed.actor_id) == (
        "milestone.visibility_changed",
        w.employee.user_id,
    )
    assert (changed.before, changed.after) == ({"client_visible": False}, {"client_visible": True})


def test_cx3_saving_a_form_unchanged_writes_no_audit_event(scene: Scene) -> None:
    w = scene.world
    staff = w.client_for(w.employee)
    before = AuditEvent.objects.count()
    staff.post(
        purl("task-edit", w.project, task_id=scene.colours.pk),
        {"title": "Pick colours", "status": "open", "client_visible": "on"},
    )
    assert AuditEvent.objects.count() == before


def test_cx2_an_archived_project_is_read_only_for_its_client_users(scene: Scene) -> None:
    w = scene.world
    mine = plans.task_create(project=w.project, title="Task by Paul", created_by=w.client)
    services.project_archive(project=w.project, actor=None)
    page = scene.paul.get(purl("detail", w.project)).content.decode()
    assert "This project is archived" in page
    assert "Task by Paul" in page
    assert purl("task-create", w.project) not in page
    assert purl("task-edit", w.project, task_id=mine.pk) not in page
    assert scene.paul.post(purl("task-create", w.project), {"title": "Late"}).status_code == 403
    assert scene.paul.post(purl("task-done", w.project, task_id=mine.pk)).status_code == 403
    assert not Task.objects.filter(title="Late").exists()


def test_cx2_a_milestone_a_client_adds_is_audited_as_theirs_and_visible(scene: Scene) -> None:
    w = scene.world
    customise(scene.member, milestones_add="all")
    response = scene.paul.post(purl("milestone-create", w.project), {"title": "Client review"})
    assert response.status_code == 302
    milestone = Milestone.objects.get(title="Client review")
    (created,) = events(milestone)
    assert (created.action, created.actor_id) == ("milestone.created", w.client.user_id)
    assert created.after is not None
    assert created.after["client_visible"] is True
