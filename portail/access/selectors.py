"""Querysets of project data for one person, filtered in SQL (DESIGN.md, PE5).

What a client user may see follows their effective permissions in the project
(their customisation there, else their profile) and the client-visible flag
that staff set on milestones and tasks (CX3). Staff see everything of the
projects they may work on.
"""

from __future__ import annotations

from django.db.models import CharField, Exists, JSONField, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from portail.access import rules
from portail.access.catalogue import (
    MILESTONES_VIEW,
    PROJECT_VIEW,
    TASKS_VIEW,
    USERS_VIEW,
    Level,
)
from portail.access.models import PermissionOverride
from portail.portals.models import Membership, MembershipKind, MembershipStatus
from portail.projects.models import Milestone, Project, ProjectMember, Task

SEEN = (Level.OWN.value, Level.ALL.value)


def visible_projects(membership: Membership) -> QuerySet[Project]:
    """Projects of the membership's portal this person may view.

    Each project is annotated `viewer_is_member` and `viewer_override` (their
    customised permission set there, or None), so `rules.permissions` needs no
    further query for it: permissions for N projects cost one query.
    """
    mine = ProjectMember.objects.filter(project=OuterRef("pk"), membership=membership)
    override = PermissionOverride.objects.filter(
        member__project=OuterRef("pk"), member__membership=membership
    ).values("permissions")[:1]
    qs = Project.objects.filter(portal_id=membership.portal_id).annotate(
        viewer_is_member=Exists(mine),
        viewer_override=Subquery(override, output_field=JSONField()),
    )
    if not membership.is_active:
        return qs.none()
    if membership.is_staff:
        if membership.sees_all_projects:
            return qs
        return qs.filter(viewer_is_member=True)
    # A client user: the projects they are on (taking their company off a project, or
    # deleting it, ends these, PC5/CC4) where their customisation, or else their
    # profile, lets them see the project (PE1, PE2).
    profile = membership.client_profile
    profile_sees = profile is not None and profile.permissions.get(PROJECT_VIEW) in SEEN
    overridden = PermissionOverride.objects.filter(member=OuterRef("pk"))
    customised_sees = PermissionOverride.objects.filter(member=OuterRef("pk")).annotate(
        # Cast: a plain text comparison (SQLite would read the values as JSON otherwise).
        level=Cast(KeyTextTransform(PROJECT_VIEW, "permissions"), CharField())
    )
    allowed = mine.filter(
        Exists(customised_sees.filter(level__in=SEEN))
        | (~Exists(overridden) if profile_sees else Q(pk__in=[]))
    )
    return qs.filter(Exists(allowed))


def _level(membership: Membership, project: Project, code: str) -> Level:
    return rules.permissions(membership, project).get(code, Level.NONE)


def visible_milestones(membership: Membership, project: Project) -> QuerySet[Milestone]:
    """The project's milestones this person may see: staff all of them; a client user
    the client-visible ones, or only those they added at the `own` level."""
    qs = Milestone.objects.filter(portal_id=membership.portal_id, project=project)
    if membership.is_staff:
        return qs
    level = _level(membership, project, MILESTONES_VIEW)
    if level == Level.ALL:
        return qs.filter(client_visible=True)
    if level == Level.OWN:
        return qs.filter(client_visible=True, created_by=membership)
    return qs.none()


def visible_tasks(membership: Membership, project: Project) -> QuerySet[Task]:
    """The project's tasks this person may see: staff all of them; a client user the
    client-visible ones, or at the `own` level those they added or are assigned to."""
    qs = Task.objects.filter(portal_id=membership.portal_id, project=project)
    if membership.is_staff:
        return qs
    level = _level(membership, project, TASKS_VIEW)
    if level == Level.ALL:
        return qs.filter(client_visible=True)
    if level == Level.OWN:
        return qs.filter(Q(created_by=membership) | Q(assignee=membership), client_visible=True)
    return qs.none()


def visible_project_members(membership: Membership, project: Project) -> QuerySet[ProjectMember]:
    """The people of a project the person may see. Staff see all of them; a client user
    with `users.view` sees the project's active staff and the people of their own
    company, never another client company's (CX3)."""
    qs = ProjectMember.objects.filter(portal_id=membership.portal_id, project=project)
    if membership.is_staff:
        return qs
    if _level(membership, project, USERS_VIEW) == Level.NONE:
        return qs.none()
    return qs.filter(
        Q(membership__kind=MembershipKind.STAFF)
        | Q(membership__client_company_id=membership.client_company_id),
        membership__status=MembershipStatus.ACTIVE,
    )
