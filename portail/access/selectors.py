"""Querysets of project data for one person, filtered in SQL (DESIGN.md, PE5).

What a client user may see follows their effective permissions in the project
(their customisation there, else their profile) and the client-visible flag
that staff set on milestones and tasks (CX3). Staff see everything of the
projects they may work on.
"""

from __future__ import annotations

from typing import Any

from django.db.models import (
    Case,
    CharField,
    Exists,
    Expression,
    IntegerField,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce

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
    customised permission set there, or None), and `viewer_id` (whom they describe),
    so `rules.permissions` needs no further query for it: permissions for N projects
    cost one query.
    """
    mine = ProjectMember.objects.filter(project=OuterRef("pk"), membership=membership)
    override = PermissionOverride.objects.filter(
        member__project=OuterRef("pk"), member__membership=membership
    ).values("permissions")[:1]
    qs = Project.objects.filter(portal_id=membership.portal_id).annotate(
        viewer_is_member=Exists(mine),
        viewer_override=Subquery(override, output_field=JSONField()),
        viewer_id=Value(membership.pk, output_field=IntegerField()),
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


# Across projects ----------------------------------------------------------------------
#
# The project list shows each project's progress as the person may see it: a client user
# counts only the milestones and tasks they may see there (CX1), so internal work is not
# revealed by the numbers. Their level can differ per project (a customisation replaces
# the profile in one project, PE2), so it is computed in SQL, per row, from the same
# sources as `rules.permissions`: the project's customisation, else the profile.


def _client_level(membership: Membership, code: str, project_id: OuterRef) -> Expression:
    """SQL: this client user's level for `code` in the project whose id is `project_id`."""
    profile = membership.client_profile
    profile_level = (
        rules.profile_permissions(profile.permissions)[code] if profile is not None else Level.NONE
    )
    overrides = PermissionOverride.objects.filter(
        member__project_id=project_id, member__membership_id=membership.pk
    )
    stored = overrides.annotate(
        # Cast: a plain text comparison (SQLite would read the values as JSON otherwise).
        level=Cast(KeyTextTransform(code, "permissions"), CharField())
    ).values("level")[:1]
    return Case(
        When(
            Exists(overrides),
            # A customisation is a full set: a code it does not name is `none` (PE2).
            then=Coalesce(Subquery(stored, output_field=CharField()), Value(Level.NONE.value)),
        ),
        default=Value(profile_level.value),
        output_field=CharField(),
    )


def _everywhere(membership: Membership, qs: QuerySet[Any], code: str, own: Q) -> QuerySet[Any]:
    """Rows of `qs` (milestones or tasks of the portal) the person may see, in any project."""
    qs = qs.filter(portal_id=membership.portal_id)
    if not membership.is_active:
        return qs.none()
    if membership.is_staff:
        if membership.sees_all_projects:
            return qs
        return qs.filter(project__members__membership=membership)
    seen = visible_projects(membership).values("pk")
    rows: QuerySet[Any] = (
        qs.filter(project_id__in=seen, client_visible=True)
        .alias(viewer_level=_client_level(membership, code, OuterRef("project_id")))
        .filter(Q(viewer_level=Level.ALL.value) | (Q(viewer_level=Level.OWN.value) & own))
    )
    return rows


def visible_milestones_everywhere(membership: Membership) -> QuerySet[Milestone]:
    """Every milestone this person may see, in every project they may see: what
    `visible_milestones` gives project by project, in one queryset (for counts)."""
    return _everywhere(
        membership, Milestone.objects.all(), MILESTONES_VIEW, Q(created_by=membership)
    )


def visible_tasks_everywhere(membership: Membership) -> QuerySet[Task]:
    """Every task this person may see, in every project they may see: what `visible_tasks`
    gives project by project, in one queryset (for counts)."""
    return _everywhere(
        membership,
        Task.objects.all(),
        TASKS_VIEW,
        Q(created_by=membership) | Q(assignee=membership),
    )
