"""Changes to projects, milestones and tasks: one transaction each.

Services trust their caller for permissions (views ask `portail.access`), but
not for tenancy: every object handed in must belong to the project's portal,
and `ValidationError` names the field that is wrong.

Every change is written to the audit log in its own transaction, with the
person who made it (`actor`; for additions, the `created_by` member): a client
user adding a task and staff showing a milestone to clients (CX3) leave a trace
like every other change.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from portail.accounts.models import User
from portail.audit.services import audit_log
from portail.portals.models import Membership, MembershipKind, MembershipStatus, Portal
from portail.projects.models import (
    BillingMethod,
    Milestone,
    Project,
    ProjectMember,
    ProjectStatus,
    Task,
    TaskStatus,
)


def _check_staff_of(portal: Portal, membership: Membership | None, field: str) -> None:
    if membership is None:
        return
    if (
        membership.portal_id != portal.pk
        or membership.kind != MembershipKind.STAFF
        or membership.status != MembershipStatus.ACTIVE
    ):
        raise ValidationError({field: _("Choose an active staff member of this portal.")})


def check_billing(
    billing_method: str, hourly_rate: Decimal | None, fixed_cost: Decimal | None
) -> None:
    """RULES BI1: a project rate only for project-hours billing, a fixed cost only for fixed cost.

    Public so that forms show these errors together with their other field errors.
    """
    errors: dict[str, str] = {}
    if billing_method == BillingMethod.PROJECT_HOURS:
        if hourly_rate is None:
            errors["hourly_rate"] = _("A project billed on project hours needs a project rate.")
        elif hourly_rate < 0:
            errors["hourly_rate"] = _("The project rate cannot be negative.")
    elif hourly_rate is not None:
        errors["hourly_rate"] = _("Only projects billed on project hours have a project rate.")
    if billing_method == BillingMethod.FIXED_COST:
        if fixed_cost is None:
            errors["fixed_cost"] = _("A fixed-cost project needs its fixed cost.")
        elif fixed_cost < 0:
            errors["fixed_cost"] = _("The fixed cost cannot be negative.")
    elif fixed_cost is not None:
        errors["fixed_cost"] = _("Only fixed-cost projects have a fixed cost.")
    if errors:
        raise ValidationError(errors)


def check_dates(start: dt.date | None, end: dt.date | None, field: str) -> None:
    """The end (`field`) is not before the start.

    The database constraint says the same; this names the field for the person fixing it.
    """
    if start is not None and end is not None and end < start:
        raise ValidationError({field: _("This date cannot be before the start date.")})


def _full_clean(obj: Any, exclude: list[str] | None = None) -> None:
    # Field validators and model constraints, before the database sees the row.
    obj.full_clean(exclude=exclude, validate_unique=True, validate_constraints=True)


def _audit_value(value: Any) -> Any:
    """How a field's value reads in the log: a person by their email, a milestone by its
    title (the row may be gone when someone reads the log)."""
    if isinstance(value, Membership):
        return value.user.email
    if isinstance(value, models.Model):
        return str(value)
    return value


def _snapshot(obj: models.Model, fields: Any) -> dict[str, Any]:
    return {field: _audit_value(getattr(obj, field)) for field in fields}


def _changed(
    before: dict[str, Any], after: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields whose value differs, as (before, after)."""
    keys = [key for key in after if before.get(key) != after[key]]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def _actor_of(membership: Membership | None) -> User | None:
    return membership.user if membership is not None else None


def _log(
    target: Project | Milestone | Task,
    action: str,
    actor: User | None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Write the change to the portal's audit log, inside the caller's transaction."""
    audit_log(
        portal=target.portal, actor=actor, action=action, target=target, before=before, after=after
    )


@transaction.atomic
def project_create(
    *,
    portal: Portal,
    name: str,
    owner: Membership,
    actor: User | None,
    description: str = "",
    status: str = ProjectStatus.ACTIVE,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    billing_method: str = BillingMethod.NOT_BILLABLE,
    hourly_rate: Decimal | None = None,
    fixed_cost: Decimal | None = None,
) -> Project:
    """Create a project; its owner becomes its first member."""
    _check_staff_of(portal, owner, "owner")
    check_dates(start_date, end_date, "end_date")
    check_billing(billing_method, hourly_rate, fixed_cost)
    project = Project(
        portal=portal,
        name=name.strip(),
        owner=owner,
        description=description,
        status=status,
        start_date=start_date,
        end_date=end_date,
        billing_method=billing_method,
        hourly_rate=hourly_rate,
        fixed_cost=fixed_cost,
    )
    if status == ProjectStatus.ARCHIVED:
        project.archived_at = timezone.now()
    _full_clean(project)
    project.save()
    project_member_ensure(project=project, membership=owner)
    _log(project, "project.created", actor, after=_snapshot(project, PROJECT_FIELDS))
    return project


PROJECT_FIELDS = (
    "name",
    "description",
    "status",
    "start_date",
    "end_date",
    "billing_method",
    "hourly_rate",
    "fixed_cost",
    "owner",
)


@transaction.atomic
def project_update(*, project: Project, actor: User | None, **changes: Any) -> Project:
    """Change any of PROJECT_FIELDS. A new owner becomes a member if not one already."""
    unknown = set(changes) - set(PROJECT_FIELDS)
    if unknown:
        raise TypeError(f"project_update got unknown fields: {sorted(unknown)}")
    # Lock the row. filter().first() rather than get(): see project_member_ensure (zeal).
    locked = Project.objects.select_for_update().filter(pk=project.pk).first()
    if locked is None:
        raise Project.DoesNotExist(f"project {project.pk} no longer exists")
    project = locked
    before = _snapshot(project, changes)
    if "owner" in changes:
        _check_staff_of(project.portal, changes["owner"], "owner")
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    for field, value in changes.items():
        setattr(project, field, value)
    check_dates(project.start_date, project.end_date, "end_date")
    check_billing(project.billing_method, project.hourly_rate, project.fixed_cost)
    if project.status == ProjectStatus.ARCHIVED and project.archived_at is None:
        project.archived_at = timezone.now()
    elif project.status != ProjectStatus.ARCHIVED:
        project.archived_at = None
    _full_clean(project)
    project.save()
    if "owner" in changes:
        project_member_ensure(project=project, membership=changes["owner"])
    old, new = _changed(before, _snapshot(project, changes))
    if new:
        if new.get("status") == ProjectStatus.ARCHIVED:
            action = "project.archived"
        elif old.get("status") == ProjectStatus.ARCHIVED:
            action = "project.restored"
        else:
            action = "project.updated"
        _log(project, action, actor, before=old, after=new)
    return project


def project_archive(*, project: Project, actor: User | None) -> Project:
    return project_update(project=project, actor=actor, status=ProjectStatus.ARCHIVED)


def project_restore(*, project: Project, actor: User | None) -> Project:
    return project_update(project=project, actor=actor, status=ProjectStatus.ACTIVE)


@transaction.atomic
def project_member_add(
    *, project: Project, membership: Membership, actor: User | None
) -> ProjectMember:
    """Put a staff member on the project (idempotent: nothing is logged the second time)."""
    _check_staff_of(project.portal, membership, "membership")
    member, created = project_member_ensure(project=project, membership=membership)
    if created:
        _log(project, "project.member_added", actor, after={"member": _audit_value(membership)})
    return member


def project_member_ensure(
    *, project: Project, membership: Membership, hourly_rate: Decimal | None = None
) -> tuple[ProjectMember, bool]:
    """The person's row in the project (made with `hourly_rate`) and whether this call made
    it: the one place ProjectMember rows are made, for staff and client users alike (callers
    check who may join, and log). Race-safe by the unique constraint.

    Not get_or_create: callers add people in loops (load_demo, imports), and the
    test suite's N+1 detector (zeal) flags a .get() repeated from one line.
    """
    existing = ProjectMember.objects.filter(project=project, membership=membership).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            created = ProjectMember.objects.create(
                portal_id=project.portal_id,
                project=project,
                membership=membership,
                hourly_rate=hourly_rate,
            )
            return created, True
    except IntegrityError:
        # A concurrent request added them first (projects_member_once_per_project).
        return ProjectMember.objects.get(project=project, membership=membership), False


def project_members_delete(*, members: QuerySet[ProjectMember]) -> int:
    """End these project memberships (their customisations go with them); return how many.
    The one place ProjectMember rows are deleted; callers log what they end, before."""
    _total, by_model = members.delete()
    return by_model.get(ProjectMember._meta.label, 0)


@transaction.atomic
def project_member_remove(*, project: Project, membership: Membership, actor: User | None) -> None:
    if project.owner_id == membership.pk:
        raise ValidationError({"membership": _("The project owner cannot leave the project.")})
    removed = project_members_delete(
        members=ProjectMember.objects.filter(project=project, membership=membership)
    )
    if removed:
        _log(project, "project.member_removed", actor, before={"member": _audit_value(membership)})


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
    _full_clean(milestone, exclude=["portal", "project", "created_by"])
    milestone.save()
    _log(
        milestone,
        "milestone.created",
        _actor_of(created_by),
        after=_snapshot(milestone, MILESTONE_FIELDS),
    )
    return milestone


MILESTONE_FIELDS = ("title", "description", "start_date", "due_date", "client_visible")


def _update_action(model: str, old: dict[str, Any]) -> str:
    """`<model>.visibility_changed` when the change shows or hides the item to clients
    (CX3, the change staff most need to find again), else `<model>.updated`."""
    return f"{model}.visibility_changed" if "client_visible" in old else f"{model}.updated"


@transaction.atomic
def milestone_update(*, milestone: Milestone, actor: User | None, **changes: Any) -> Milestone:
    unknown = set(changes) - set(MILESTONE_FIELDS)
    if unknown:
        raise TypeError(f"milestone_update got unknown fields: {sorted(unknown)}")
    if "title" in changes:
        changes["title"] = changes["title"].strip()
    before = _snapshot(milestone, changes)
    for field, value in changes.items():
        setattr(milestone, field, value)
    check_dates(milestone.start_date, milestone.due_date, "due_date")
    _full_clean(milestone, exclude=["portal", "project", "created_by"])
    milestone.save()
    old, new = _changed(before, _snapshot(milestone, changes))
    if new:
        _log(milestone, _update_action("milestone", old), actor, before=old, after=new)
    return milestone


@transaction.atomic
def milestone_set_closed(*, milestone: Milestone, closed: bool, actor: User | None) -> Milestone:
    """Close (or reopen) a milestone. Its tasks keep their own status."""
    before = milestone.closed_at
    milestone.closed_at = (milestone.closed_at or timezone.now()) if closed else None
    milestone.save(update_fields=["closed_at", "updated_at"])
    if (before is not None) != closed:
        _log(
            milestone,
            "milestone.closed" if closed else "milestone.reopened",
            actor,
            before={"closed_at": before},
            after={"closed_at": milestone.closed_at},
        )
    return milestone


@transaction.atomic
def milestone_delete(*, milestone: Milestone, actor: User | None) -> None:
    """Delete a milestone; its tasks stay in the project, without a milestone."""
    _log(milestone, "milestone.deleted", actor, before=_snapshot(milestone, MILESTONE_FIELDS))
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
    _full_clean(task, exclude=["portal", "project", "milestone", "assignee", "created_by"])
    task.save()
    _log(task, "task.created", _actor_of(created_by), after=_snapshot(task, TASK_FIELDS))
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
    before = _snapshot(task, fields)
    status = changes.pop("status", None)
    for field, value in changes.items():
        setattr(task, field, value)
    if status is not None:
        _apply_status(task, status)
    _full_clean(task, exclude=["portal", "project", "milestone", "assignee", "created_by"])
    task.save()
    old, new = _changed(before, _snapshot(task, fields))
    if new:
        if set(new) == {"status"} and TaskStatus.DONE in (old["status"], new["status"]):
            action = "task.done" if new["status"] == TaskStatus.DONE else "task.reopened"
        else:
            action = _update_action("task", old)
        _log(task, action, actor, before=old, after=new)
    return task


def task_set_done(*, task: Task, done: bool, actor: User | None) -> Task:
    """Close a task (done) or reopen it."""
    return task_update(task=task, actor=actor, status=TaskStatus.DONE if done else TaskStatus.OPEN)


@transaction.atomic
def task_delete(*, task: Task, actor: User | None) -> None:
    _log(task, "task.deleted", actor, before=_snapshot(task, TASK_FIELDS))
    task.delete()
