"""Changes to projects and their members: one transaction each (milestones and tasks:
plans.py).

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
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from portail.accounts.models import User
from portail.audit.services import BULK_BATCH, audit_log
from portail.portals.models import Membership, MembershipKind, MembershipStatus, Portal
from portail.projects.changes import (
    changed,
    check_dates,
    full_clean,
    log_change,
    snapshot,
)
from portail.projects.events import (
    PROJECT_ARCHIVED,
    PROJECT_CREATED,
    PROJECT_MEMBER_ADDED,
    PROJECT_MEMBER_REMOVED,
    PROJECT_RESTORED,
    PROJECT_UPDATED,
)
from portail.projects.models import (
    BillingMethod,
    Project,
    ProjectMember,
    ProjectStatus,
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
    full_clean(project)
    project.save()
    project_member_ensure(project=project, membership=owner)
    log_change(project, PROJECT_CREATED, actor, after=snapshot(project, PROJECT_FIELDS))
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
    before = snapshot(project, changes)
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
    full_clean(project)
    project.save()
    if "owner" in changes:
        project_member_ensure(project=project, membership=changes["owner"])
    old, new = changed(before, snapshot(project, changes))
    if new:
        if new.get("status") == ProjectStatus.ARCHIVED:
            action = PROJECT_ARCHIVED
        elif old.get("status") == ProjectStatus.ARCHIVED:
            action = PROJECT_RESTORED
        else:
            action = PROJECT_UPDATED
        log_change(project, action, actor, before=old, after=new)
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
        audit_log(
            portal=project.portal,
            actor=actor,
            action=PROJECT_MEMBER_ADDED,
            target=member,
            after={"project": project, "membership": membership},
        )
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


def project_members_bulk_add(
    *, project: Project, people: list[tuple[Membership, Decimal | None]]
) -> list[ProjectMember]:
    """Many people's rows in the project at once (each with its rate), in one insert however
    many: for callers that add hundreds of people in one step (PC6). The caller has locked
    the project and left out those already on it; the unique constraint is the last guard.
    Each row comes back with its person and the project, for the caller's audit events."""
    rows = [
        ProjectMember(
            portal_id=project.portal_id, project=project, membership=membership, hourly_rate=rate
        )
        for membership, rate in people
    ]
    return ProjectMember.objects.bulk_create(rows, batch_size=BULK_BATCH)


def project_members_delete(*, members: QuerySet[ProjectMember]) -> int:
    """End these project memberships (their customisations go with them); return how many.
    The one place ProjectMember rows are deleted; callers log what they end, before."""
    _total, by_model = members.delete()
    return by_model.get(ProjectMember._meta.label, 0)


@transaction.atomic
def project_member_remove(*, project: Project, membership: Membership, actor: User | None) -> None:
    if project.owner_id == membership.pk:
        raise ValidationError({"membership": _("The project owner cannot leave the project.")})
    rows = ProjectMember.objects.filter(project=project, membership=membership)
    member = rows.first()
    if member is None:
        return
    member.project, member.membership = project, membership
    audit_log(
        portal=project.portal,
        actor=actor,
        action=PROJECT_MEMBER_REMOVED,
        target=member,
        before={"project": project, "membership": membership},
    )
    project_members_delete(members=rows)
