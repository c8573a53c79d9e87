"""Reads for the project pages: progress is counted by the database, never by loading tasks.

Every function starts from what `portail.access.selectors` lets the person
see, so a list is never wider than the person's access.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from portail.access.selectors import (
    visible_milestones,
    visible_project_members,
    visible_projects,
    visible_tasks,
)
from portail.portals.models import Membership, MembershipKind, MembershipStatus, StaffRole
from portail.projects.models import (
    Milestone,
    Project,
    ProjectMember,
    ProjectStatus,
    Task,
    TaskStatus,
)

DONE = Q(status=TaskStatus.DONE)


@dataclass(frozen=True)
class Progress:
    """Done out of total. Percent rounds down, so 100 % means every task is done."""

    done: int
    total: int

    @property
    def percent(self) -> int:
        if self.total <= 0:
            return 0
        return self.done * 100 // self.total

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done >= self.total


@dataclass(frozen=True)
class NextMilestone:
    title: str
    due_date: dt.date | None


@dataclass(frozen=True)
class ProjectRow:
    """One line of the project list."""

    project: Project
    tasks: Progress
    milestones: Progress
    next_milestone: NextMilestone | None


def _count(queryset: QuerySet[Task] | QuerySet[Milestone], condition: Q | None = None) -> Coalesce:
    """COUNT(*) of the rows of `queryset` that belong to the outer project, as a subquery.

    A subquery per count (rather than JOINs) keeps one row per project: joining
    tasks and milestones together would multiply them.
    """
    rows = queryset.filter(project=OuterRef("pk"))
    if condition is not None:
        rows = rows.filter(condition)
    counted = rows.order_by().values("project").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _open_milestones_first_due() -> QuerySet[Milestone]:
    """Open milestones of the outer project, the next one due first (undated ones last)."""
    return Milestone.objects.filter(project=OuterRef("pk"), closed_at__isnull=True).order_by(
        F("due_date").asc(nulls_last=True), "position", "id"
    )


def with_progress(projects: QuerySet[Project]) -> QuerySet[Project]:
    """Annotate task and milestone counts and the next open milestone (title and due date)."""
    return projects.annotate(
        task_total=_count(Task.objects.all()),
        task_done=_count(Task.objects.all(), DONE),
        milestone_total=_count(Milestone.objects.all()),
        milestone_done=_count(Milestone.objects.all(), Q(closed_at__isnull=False)),
        next_milestone_title=Subquery(_open_milestones_first_due().values("title")[:1]),
        next_milestone_due=Subquery(_open_milestones_first_due().values("due_date")[:1]),
    )


def _row(project: Project) -> ProjectRow:
    title: str | None = project.next_milestone_title  # type: ignore[attr-defined]
    return ProjectRow(
        project=project,
        tasks=Progress(project.task_done, project.task_total),  # type: ignore[attr-defined]
        milestones=Progress(
            project.milestone_done,  # type: ignore[attr-defined]
            project.milestone_total,  # type: ignore[attr-defined]
        ),
        next_milestone=(
            None
            if title is None
            else NextMilestone(title=title, due_date=project.next_milestone_due)  # type: ignore[attr-defined]
        ),
    )


# The list's status filter. "current" (the default) is everything but archived.
CURRENT = "current"
STATUS_FILTERS: tuple[str, ...] = (
    CURRENT,
    ProjectStatus.ACTIVE,
    ProjectStatus.ON_HOLD,
    ProjectStatus.COMPLETED,
    ProjectStatus.ARCHIVED,
)


def project_list(*, membership: Membership, status: str = CURRENT) -> QuerySet[Project]:
    """The projects this person may see, filtered by status, annotated with their progress.

    One query, whatever the number of projects; turn the rows into
    `ProjectRow`s with `project_rows`.
    """
    projects = visible_projects(membership)
    if status == CURRENT:
        projects = projects.exclude(status=ProjectStatus.ARCHIVED)
    elif status in STATUS_FILTERS:
        projects = projects.filter(status=status)
    else:
        raise ValueError(f"unknown status filter {status!r}")
    return with_progress(projects.select_related("owner__user")).order_by("name", "id")


def project_rows(projects: Iterable[Project]) -> list[ProjectRow]:
    """Rows from projects that came from `project_list` (or `with_progress`)."""
    return [_row(project) for project in projects]


def status_counts(*, membership: Membership) -> dict[str, int]:
    """How many visible projects are in each status filter, in one query."""
    by_status = {
        row["status"]: row["n"]
        for row in visible_projects(membership).order_by().values("status").annotate(n=Count("pk"))
    }
    counts = {status: by_status.get(status, 0) for status in STATUS_FILTERS if status != CURRENT}
    counts[CURRENT] = sum(n for status, n in counts.items() if status != ProjectStatus.ARCHIVED)
    return counts


@dataclass(frozen=True)
class ProjectProgress:
    tasks: Progress
    milestones: Progress


def project_progress(*, project: Project) -> ProjectProgress:
    """Task and milestone progress of one project, in one query."""
    row = _row(with_progress(Project.objects.filter(pk=project.pk)).get())
    return ProjectProgress(tasks=row.tasks, milestones=row.milestones)


def milestones_with_progress(*, membership: Membership, project: Project) -> QuerySet[Milestone]:
    """The project's milestones in their order, each annotated task_done / task_total."""
    return visible_milestones(membership, project).annotate(
        task_total=Count("tasks"),
        task_done=Count("tasks", filter=Q(tasks__status=TaskStatus.DONE)),
    )


def milestone_progress(*, milestone_id: int) -> Progress:
    counts = Task.objects.filter(milestone_id=milestone_id).aggregate(
        done=Count("pk", filter=DONE), total=Count("pk")
    )
    return Progress(counts["done"], counts["total"])


@dataclass
class MilestoneGroup:
    milestone: Milestone
    progress: Progress
    tasks: list[Task] = field(default_factory=list)


@dataclass
class ProjectPlan:
    """The project page's body: milestones with their tasks, then tasks without one."""

    milestones: list[MilestoneGroup]
    loose_tasks: list[Task]

    @property
    def is_empty(self) -> bool:
        return not self.milestones and not self.loose_tasks


def project_tasks(*, membership: Membership, project: Project) -> QuerySet[Task]:
    """Tasks in their stable order (position), with what a task row shows."""
    return visible_tasks(membership, project).select_related("assignee__user")


def project_plan(*, membership: Membership, project: Project) -> ProjectPlan:
    """Two queries: the milestones with their progress, and every task of the project.

    Tasks keep their position order: ticking one done does not move it.
    """
    groups = [
        MilestoneGroup(milestone=m, progress=Progress(m.task_done, m.task_total))  # type: ignore[attr-defined]
        for m in milestones_with_progress(membership=membership, project=project)
    ]
    by_id = {group.milestone.pk: group for group in groups}
    loose: list[Task] = []
    for task in project_tasks(membership=membership, project=project):
        group = by_id.get(task.milestone_id) if task.milestone_id is not None else None
        if group is None:
            loose.append(task)
        else:
            group.tasks.append(task)
    return ProjectPlan(milestones=groups, loose_tasks=loose)


def project_members(*, membership: Membership, project: Project) -> QuerySet[ProjectMember]:
    """The project's people this person may see, by name."""
    return (
        visible_project_members(membership, project)
        .select_related("membership__user")
        .order_by("membership__user__full_name", "membership__user__email")
    )


def _active_staff(portal_id: int) -> QuerySet[Membership]:
    return Membership.objects.filter(
        portal_id=portal_id,
        kind=MembershipKind.STAFF,
        status=MembershipStatus.ACTIVE,
    ).select_related("user")


def assignable_staff(*, project: Project) -> QuerySet[Membership]:
    """Who may be assigned a task of this project: active staff who may work on it.

    Admins and managers work on every project (DESIGN.md); employees only on
    projects they are members of. Mirrors `services._check_task_refs`.
    """
    on_project = Exists(ProjectMember.objects.filter(project=project, membership=OuterRef("pk")))
    return (
        _active_staff(project.portal_id)
        .filter(Q(role__in=[StaffRole.ADMIN, StaffRole.MANAGER]) | Q(on_project))
        .order_by("user__full_name", "user__email")
    )


def staff_not_on_project(*, project: Project) -> QuerySet[Membership]:
    """Active staff who could be added to the project."""
    on_project = Exists(ProjectMember.objects.filter(project=project, membership=OuterRef("pk")))
    return (
        _active_staff(project.portal_id)
        .exclude(on_project)
        .order_by("user__full_name", "user__email")
    )


def project_owners(*, portal_id: int) -> QuerySet[Membership]:
    """Who may own a project: the portal's active staff."""
    return _active_staff(portal_id).order_by("user__full_name", "user__email")
