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
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext as _

from portail.access import rules
from portail.access.catalogue import ACTION_LABELS, Level, modules
from portail.access.rules import PermissionSet
from portail.access.selectors import (
    owner_name,
    person_name,
    visible,
    visible_in,
    visible_projects,
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
from portail.projects.permissions import (
    MILESTONES,
    MILESTONES_DELETE,
    MILESTONES_EDIT,
    TASKS,
    TASKS_DELETE,
    TASKS_EDIT,
    USERS,
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

    # The bar's words, in the reader's language, made here rather than by a
    # {% blocktranslate %} in projects/_progress.html: a list of 50 projects rendered
    # them 100 times (issue 13).
    @property
    def text(self) -> str:
        if not self.total:
            return gettext("No tasks yet")
        return gettext("%(done)s/%(total)s tasks · %(percent)s %%") % {
            "done": self.done,
            "total": self.total,
            "percent": self.percent,
        }

    @property
    def spoken(self) -> str:
        return ngettext(
            "%(done)s of %(total)s task done", "%(done)s of %(total)s tasks done", self.total
        ) % {"done": self.done, "total": self.total}


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
    owner: str  # as the viewer may name them
    url: str = ""  # the project's page: the view sets it, reversed once for the page

    @property
    def milestones_text(self) -> str:
        """ "3/10 closed", or "" without milestones (made here, not once a row by a
        {% blocktranslate %} of the list)."""
        if not self.milestones.total:
            return ""
        return gettext("%(done)s/%(total)s closed") % {
            "done": self.milestones.done,
            "total": self.milestones.total,
        }


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


@dataclass(frozen=True)
class _Counts:
    tasks: Progress
    milestones: Progress
    next_milestone: NextMilestone | None


def _progress(viewer: Membership, projects: list[Project]) -> dict[int, _Counts]:
    """Task and milestone progress and the next open milestone of each project, counting
    only what the viewer may see (CX1, CX3): three queries for the whole page."""
    if not projects:
        return {}
    tasks = {
        row["project_id"]: Progress(row["done"], row["total"])
        for row in visible_in(viewer, projects, TASKS)
        .order_by()
        .values("project_id")
        .annotate(total=Count("pk"), done=Count("pk", filter=DONE))
    }
    milestones_seen = visible_in(viewer, projects, MILESTONES)
    milestones = {
        row["project_id"]: Progress(row["done"], row["total"])
        for row in milestones_seen.order_by()
        .values("project_id")
        .annotate(total=Count("pk"), done=Count("pk", filter=Q(closed_at__isnull=False)))
    }
    next_open: dict[int, NextMilestone] = {}
    open_ = milestones_seen.filter(closed_at__isnull=True).order_by(
        "project_id", F("due_date").asc(nulls_last=True), "position", "id"
    )
    for project_id, title, due_date in open_.values_list("project_id", "title", "due_date"):
        next_open.setdefault(project_id, NextMilestone(title=title, due_date=due_date))
    return {
        project.pk: _Counts(
            tasks=tasks.get(project.pk, Progress(0, 0)),
            milestones=milestones.get(project.pk, Progress(0, 0)),
            next_milestone=next_open.get(project.pk),
        )
        for project in projects
    }


def _row(project: Project, viewer: Membership, counts: _Counts) -> ProjectRow:
    return ProjectRow(
        project=project,
        tasks=counts.tasks,
        milestones=counts.milestones,
        next_milestone=counts.next_milestone,
        owner=owner_name(viewer, project.owner),
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
    """The projects this person may see, filtered by status, in name order.

    One query, whatever the number of projects; `project_rows` adds the progress of the
    ones a page shows.
    """
    projects = visible_projects(membership)
    if status == CURRENT:
        projects = projects.exclude(status=ProjectStatus.ARCHIVED)
    elif status in STATUS_FILTERS:
        projects = projects.filter(status=status)
    else:
        raise ValueError(f"unknown status filter {status!r}")
    return projects.select_related("owner__user").order_by("name", "id")


def project_rows(projects: Iterable[Project], *, viewer: Membership) -> list[ProjectRow]:
    """The list's rows for projects that came from `project_list` (the page's, once cut),
    with their progress as `viewer` may see it: three queries, for the shown rows only."""
    shown = list(projects)
    counts = _progress(viewer, shown)
    return [_row(project, viewer, counts[project.pk]) for project in shown]


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


def project_progress(
    *, membership: Membership, project: Project, perms: PermissionSet | None = None
) -> ProjectProgress:
    """Task and milestone progress of one project as this person may see it, in one query."""
    tasks = visible(membership, project, TASKS, perms=perms)
    milestones = visible(membership, project, MILESTONES, perms=perms)
    counted = Project.objects.filter(pk=project.pk).annotate(
        task_total=_count(tasks),
        task_done=_count(tasks, DONE),
        milestone_total=_count(milestones),
        milestone_done=_count(milestones, Q(closed_at__isnull=False)),
    )
    row = counted.values("task_total", "task_done", "milestone_total", "milestone_done").get()
    return ProjectProgress(
        tasks=Progress(row["task_done"], row["task_total"]),
        milestones=Progress(row["milestone_done"], row["milestone_total"]),
    )


def _milestone_count(tasks: QuerySet[Task], condition: Q | None = None) -> Coalesce:
    rows = tasks.filter(milestone=OuterRef("pk"))
    if condition is not None:
        rows = rows.filter(condition)
    counted = rows.order_by().values("milestone").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def milestones_with_progress(
    *, membership: Membership, project: Project, perms: PermissionSet | None = None
) -> QuerySet[Milestone]:
    """The project's milestones in their order, each annotated task_done / task_total,
    counting the tasks this person may see (a client: not the internal ones)."""
    tasks = visible(membership, project, TASKS, perms=perms)
    milestones: QuerySet[Milestone] = visible(
        membership, project, MILESTONES, perms=perms
    ).annotate(
        task_total=_milestone_count(tasks),
        task_done=_milestone_count(tasks, DONE),
    )
    return milestones


def milestone_progress(
    *,
    membership: Membership,
    project: Project,
    milestone_id: int,
    perms: PermissionSet | None = None,
) -> Progress:
    counts = (
        visible(membership, project, TASKS, perms=perms)
        .filter(milestone_id=milestone_id)
        .aggregate(done=Count("pk", filter=DONE), total=Count("pk"))
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


def project_tasks(
    *, membership: Membership, project: Project, perms: PermissionSet | None = None
) -> QuerySet[Task]:
    """Tasks in their stable order (position), with what a task row shows."""
    return visible(membership, project, TASKS, perms=perms).select_related("assignee__user")


def mark_task(
    task: Task, *, membership: Membership, project: Project, perms: PermissionSet
) -> Task:
    """What a task row shows this person: may they edit (tick) or delete it (own levels ask
    about this very task, PE5), and the assignee's name as they may see it."""
    task.may_edit = rules.can(membership, project, TASKS_EDIT, task, perms=perms)  # type: ignore[attr-defined]
    task.may_delete = rules.can(membership, project, TASKS_DELETE, task, perms=perms)  # type: ignore[attr-defined]
    task.assignee_label = person_name(membership, task.assignee)  # type: ignore[attr-defined]
    return task


def _mark_milestone(
    milestone: Milestone, *, membership: Membership, project: Project, perms: PermissionSet
) -> None:
    milestone.may_edit = rules.can(membership, project, MILESTONES_EDIT, milestone, perms=perms)  # type: ignore[attr-defined]
    milestone.may_delete = rules.can(  # type: ignore[attr-defined]
        membership, project, MILESTONES_DELETE, milestone, perms=perms
    )


def project_plan(
    *, membership: Membership, project: Project, perms: PermissionSet | None = None
) -> ProjectPlan:
    """Two queries: the milestones with their progress, and every task of the project.

    Tasks keep their position order: ticking one done does not move it. Each item says
    whether this person may edit or delete it (`may_edit`, `may_delete`).
    """
    perms = perms if perms is not None else rules.permissions(membership, project)
    groups = [
        MilestoneGroup(milestone=m, progress=Progress(m.task_done, m.task_total))  # type: ignore[attr-defined]
        for m in milestones_with_progress(membership=membership, project=project, perms=perms)
    ]
    for each in groups:
        _mark_milestone(each.milestone, membership=membership, project=project, perms=perms)
    by_id = {group.milestone.pk: group for group in groups}
    loose: list[Task] = []
    for task in project_tasks(membership=membership, project=project, perms=perms):
        mark_task(task, membership=membership, project=project, perms=perms)
        group = by_id.get(task.milestone_id) if task.milestone_id is not None else None
        if group is None:
            loose.append(task)
        else:
            group.tasks.append(task)
    return ProjectPlan(milestones=groups, loose_tasks=loose)


def project_members(
    *, membership: Membership, project: Project, perms: PermissionSet | None = None
) -> QuerySet[ProjectMember]:
    """The project's people this person may see, by name."""
    return (
        visible(membership, project, USERS, perms=perms)
        .select_related("membership__user", "membership__client_company")
        .order_by("membership__user__full_name", "membership__user__email")
    )


def staff_members(*, project: Project) -> QuerySet[ProjectMember]:
    """The project's staff members (the Users -> Staff tab), by name."""
    return (
        ProjectMember.objects.filter(
            portal_id=project.portal_id,
            project=project,
            membership__kind=MembershipKind.STAFF,
        )
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


# The client's view of a project (CX1-CX3, PE7) --------------------------------------------


@dataclass(frozen=True)
class Person:
    """Someone of the project as a client user may see them: a name and a role, nothing else
    (no email address, no rate, CX3)."""

    name: str
    role: str
    is_viewer: bool


@dataclass(frozen=True)
class Allowed:
    """One thing a client user may do in the project, for the "view as" preview (PE7)."""

    module: str
    action: str
    own_only: bool


@dataclass
class ClientProjectView:
    """Everything the client's project page shows, as `viewer` may see it.

    `project` is None when the viewer may not see the project at all (only staff's
    preview gets there: a client is answered 404 before).
    """

    viewer: Membership
    project: Project | None
    may: dict[str, bool]
    progress: ProjectProgress | None = None
    plan: ProjectPlan | None = None
    people: list[Person] = field(default_factory=list)
    allowed: list[Allowed] = field(default_factory=list)
    next_milestone: Milestone | None = None


def _people(viewer: Membership, project: Project, perms: PermissionSet) -> list[Person]:
    people = []
    for member in project_members(membership=viewer, project=project, perms=perms):
        person = member.membership
        name = person_name(viewer, person)
        if name is None:  # not reachable through visible(..., USERS); never shown anyway
            continue
        if person.pk == project.owner_id:
            role = str(_("Project owner"))
        elif person.is_staff:
            role = str(_("Project team"))
        else:
            role = person.client_company.name if person.client_company else str(_("Client"))
        people.append(Person(name=name, role=role, is_viewer=person.pk == viewer.pk))
    return people


def _allowed(perms: PermissionSet) -> list[Allowed]:
    allowed = []
    for module in modules():
        for action in module.actions:
            level = perms.get(f"{module.key}.{action.value}", Level.NONE)
            if level != Level.NONE:
                allowed.append(
                    Allowed(
                        module=str(module.label),
                        action=str(ACTION_LABELS[action]),
                        own_only=level == Level.OWN,
                    )
                )
    return allowed


def client_project_view(
    *, viewer: Membership, project: Project, perms: PermissionSet | None = None
) -> ClientProjectView:
    """The client's project page for `viewer` (a client user), used by their own page and
    by staff's read-only "view as" preview (PE7), so both show exactly the same things.

    Only the modules the viewer may view are filled in (CX2); milestones, tasks and
    progress count client-visible items within their levels only (CX3); people are the
    project's staff and their own company's, named without email or rate. `perms`: the
    viewer's permissions there, when the page resolved them already.
    """
    if getattr(project, "viewer_id", None) != viewer.pk:
        # Loaded for someone else (staff previewing): load it as the client sees it, so
        # "may they see it" and their permissions come from their own row.
        seen = visible_projects(viewer).select_related("owner__user").filter(pk=project.pk).first()
        if seen is None:
            nothing = rules.abilities(None, project)
            return ClientProjectView(viewer=viewer, project=None, may=nothing)
        project, perms = seen, None
    perms = perms if perms is not None else rules.permissions(viewer, project)
    view = ClientProjectView(
        viewer=viewer,
        project=project,
        may=rules.abilities(viewer, project, perms=perms),
        progress=project_progress(membership=viewer, project=project, perms=perms),
        allowed=_allowed(perms),
    )
    if view.may["milestones_view"] or view.may["tasks_view"]:
        view.plan = project_plan(membership=viewer, project=project, perms=perms)
        open_ = [g.milestone for g in view.plan.milestones if not g.milestone.is_closed]
        # As in the project list: the next one due first, undated ones last.
        open_.sort(key=lambda m: (m.due_date is None, m.due_date or dt.date.max, m.position, m.pk))
        view.next_milestone = open_[0] if open_ else None
    if view.may["users_view"]:
        view.people = _people(viewer, project, perms)
    return view
