"""Changes to a project's plan, its milestones and tasks: one transaction each, on the
terms of services.py (tenancy checked, permissions the caller's, every change audited
with who made it, a client user's task or a milestone shown to clients included)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from portail.accounts.models import User
from portail.portals.models import Membership, MembershipKind, MembershipStatus
from portail.projects.changes import (
    actor_of,
    changed,
    check_dates,
    full_clean,
    log_change,
    snapshot,
)
from portail.projects.events import (
    MILESTONE_CLOSED,
    MILESTONE_CREATED,
    MILESTONE_DELETED,
    MILESTONE_REOPENED,
    MILESTONE_UPDATED,
    MILESTONE_VISIBILITY_CHANGED,
    TASK_CREATED,
    TASK_DELETED,
    TASK_DONE,
    TASK_REOPENED,
    TASK_UPDATED,
    TASK_VISIBILITY_CHANGED,
)
from portail.projects.models import (
    Milestone,
    Project,
    ProjectMember,
    Task,
    TaskStatus,
)


def _is_client(membership: Membership | None) -> bool:
    return membership is not None and membership.kind == MembershipKind.CLIENT


def _next_position(queryset: Any) -> int:
    current = queryset.aggregate(m=Max("position"))["m"]
    return 0 if current is None else current + 1


@transaction.atomic
def milestone_create(
    *,
    project: Project,
    title: str,
    description: str = "",
    start_date: dt.date | None = None,
    due_date: dt.date | None = None,
    client_visible: bool = False,
    created_by: Membership | None = None,
) -> Milestone:
    """Add a milestone. Internal unless `client_visible` (CX3); one a client user adds is
    visible to clients (they added it, and would otherwise lose sight of it)."""
    check_dates(start_date, due_date, "due_date")
    milestone = Milestone(
        portal=project.portal,
        project=project,
        title=title.strip(),
        description=description,
        start_date=start_date,
        due_date=due_date,
        client_visible=client_visible or _is_client(created_by),
        created_by=created_by,
        position=_next_position(Milestone.objects.filter(project=project)),
    )
    full_clean(milestone, exclude=["portal", "project", "created_by"])
    milestone.save()
    log_change(
        milestone,
        MILESTONE_CREATED,
        actor_of(created_by),
        after=snapshot(milestone, MILESTONE_FIELDS),
    )
    return milestone


MILESTONE_FIELDS = ("title", "description", "start_date", "due_date", "client_visible")


def _update_action(old: dict[str, Any], *, updated: str, visibility_changed: str) -> str:
    """`visibility_changed` when the change shows or hides the item to clients (CX3, the
    change staff most need to find again), else `updated`."""
    return visibility_changed if "client_visible" in old else updated


@transaction.atomic
def milestone_update(*, milestone: Milestone, actor: User | None, **changes: Any) -> Milestone:
    unknown = set(changes) - set(MILESTONE_FIELDS)
    if unknown:
        raise TypeError(f"milestone_update got unknown fields: {sorted(unknown)}")
    if "title" in changes:
        changes["title"] = changes["title"].strip()
    before = snapshot(milestone, changes)
    for field, value in changes.items():
        setattr(milestone, field, value)
    check_dates(milestone.start_date, milestone.due_date, "due_date")
    full_clean(milestone, exclude=["portal", "project", "created_by"])
    milestone.save()
    old, new = changed(before, snapshot(milestone, changes))
    if new:
        log_change(
            milestone,
            _update_action(
                old, updated=MILESTONE_UPDATED, visibility_changed=MILESTONE_VISIBILITY_CHANGED
            ),
            actor,
            before=old,
            after=new,
        )
    return milestone


@transaction.atomic
def milestone_set_closed(*, milestone: Milestone, closed: bool, actor: User | None) -> Milestone:
    """Close (or reopen) a milestone. Its tasks keep their own status."""
    before = milestone.closed_at
    milestone.closed_at = (milestone.closed_at or timezone.now()) if closed else None
    milestone.save(update_fields=["closed_at", "updated_at"])
    if (before is not None) != closed:
        log_change(
            milestone,
            MILESTONE_CLOSED if closed else MILESTONE_REOPENED,
            actor,
            before={"closed_at": before},
            after={"closed_at": milestone.closed_at},
        )
    return milestone


@transaction.atomic
def milestone_delete(*, milestone: Milestone, actor: User | None) -> None:
    """Delete a milestone; its tasks stay in the project, without a milestone."""
    log_change(milestone, MILESTONE_DELETED, actor, before=snapshot(milestone, MILESTONE_FIELDS))
    milestone.delete()


def _check_task_refs(
    project: Project, milestone: Milestone | None, assignee: Membership | None
) -> None:
    if milestone is not None and milestone.project_id != project.pk:
        raise ValidationError({"milestone": _("Choose a milestone of this project.")})
    if assignee is not None:
        if assignee.portal_id != project.portal_id or assignee.status != MembershipStatus.ACTIVE:
            raise ValidationError({"assignee": _("Choose an active person of this portal.")})
        if (
            assignee.kind == MembershipKind.STAFF
            and not assignee.sees_all_projects
            and not ProjectMember.objects.filter(project=project, membership=assignee).exists()
        ):
            raise ValidationError({"assignee": _("This person is not a member of the project.")})


def _apply_status(task: Task, status: str) -> None:
    task.status = status
    if status == TaskStatus.DONE:
        task.completed_at = task.completed_at or timezone.now()
    else:
        task.completed_at = None


@transaction.atomic
def task_create(
    *,
    project: Project,
    title: str,
    created_by: Membership | None,
    description: str = "",
    status: str = TaskStatus.OPEN,
    due_date: dt.date | None = None,
    milestone: Milestone | None = None,
    assignee: Membership | None = None,
    client_visible: bool | None = False,
) -> Task:
    """Add a task, internal unless `client_visible` (CX3).

    `client_visible=None` (the quick-add row) takes the milestone's visibility: a task
    added inside a milestone shown to clients is shown too, any other is internal. A
    task a client user adds is always visible to clients (they added it).
    """
    _check_task_refs(project, milestone, assignee)
    if client_visible is None:
        client_visible = milestone.client_visible if milestone is not None else False
    task = Task(
        portal=project.portal,
        project=project,
        title=title.strip(),
        description=description,
        due_date=due_date,
        milestone=milestone,
        assignee=assignee,
        created_by=created_by,
        client_visible=client_visible or _is_client(created_by),
        position=_next_position(Task.objects.filter(project=project)),
    )
    _apply_status(task, status)
    full_clean(task, exclude=["portal", "project", "milestone", "assignee", "created_by"])
    task.save()
    log_change(task, TASK_CREATED, actor_of(created_by), after=snapshot(task, TASK_FIELDS))
    return task


TASK_FIELDS = (
    "title",
    "description",
    "status",
    "due_date",
    "milestone",
    "assignee",
    "client_visible",
)


@transaction.atomic
def task_update(*, task: Task, actor: User | None, **changes: Any) -> Task:
    unknown = set(changes) - set(TASK_FIELDS)
    if unknown:
        raise TypeError(f"task_update got unknown fields: {sorted(unknown)}")
    # Check only references that change: a task keeps an assignee who has since left
    # the project, and ticking it done must still work.
    milestone = changes.get("milestone")
    assignee = changes.get("assignee")
    _check_task_refs(
        task.project,
        milestone if milestone is not None and milestone.pk != task.milestone_id else None,
        assignee if assignee is not None and assignee.pk != task.assignee_id else None,
    )
    if "title" in changes:
        changes["title"] = changes["title"].strip()
    fields = list(changes)
    before = snapshot(task, fields)
    status = changes.pop("status", None)
    for field, value in changes.items():
        setattr(task, field, value)
    if status is not None:
        _apply_status(task, status)
    full_clean(task, exclude=["portal", "project", "milestone", "assignee", "created_by"])
    task.save()
    old, new = changed(before, snapshot(task, fields))
    if new:
        if set(new) == {"status"} and TaskStatus.DONE in (old["status"], new["status"]):
            action = TASK_DONE if new["status"] == TaskStatus.DONE else TASK_REOPENED
        else:
            action = _update_action(
                old, updated=TASK_UPDATED, visibility_changed=TASK_VISIBILITY_CHANGED
            )
        log_change(task, action, actor, before=old, after=new)
    return task


def task_set_done(*, task: Task, done: bool, actor: User | None) -> Task:
    """Close a task (done) or reopen it."""
    return task_update(task=task, actor=actor, status=TaskStatus.DONE if done else TaskStatus.OPEN)


@transaction.atomic
def task_delete(*, task: Task, actor: User | None) -> None:
    log_change(task, TASK_DELETED, actor, before=snapshot(task, TASK_FIELDS))
    task.delete()
