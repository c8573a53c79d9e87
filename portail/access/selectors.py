"""Querysets of project data for one person, filtered in SQL (DESIGN.md)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from portail.access.catalogue import PROJECT_VIEW, Level
from portail.portals.models import Membership
from portail.projects.models import Milestone, Project, ProjectMember, Task


def visible_projects(membership: Membership) -> QuerySet[Project]:
    """Projects of the membership's portal this person may view.

    Each project is annotated `viewer_is_member`, so `rules.permissions` needs
    no further query for it: permissions for N projects cost one query.
    """
    is_member = Exists(ProjectMember.objects.filter(project=OuterRef("pk"), membership=membership))
    qs = Project.objects.filter(portal_id=membership.portal_id).annotate(viewer_is_member=is_member)
    if not membership.is_active:
        return qs.none()
    if membership.is_staff:
        if membership.sees_all_projects:
            return qs
        return qs.filter(viewer_is_member=True)
    # A client user: the projects they are on (taking their company off a project, or
    # deleting it, ends these, PC5/CC4), when their profile lets them see one (PE1).
    profile = membership.client_profile
    if profile is None or profile.permissions.get(PROJECT_VIEW, Level.NONE) == Level.NONE:
        return qs.none()
    return qs.filter(viewer_is_member=True)


def visible_milestones(membership: Membership, project: Project) -> QuerySet[Milestone]:
    return Milestone.objects.filter(portal_id=membership.portal_id, project=project)


def visible_tasks(membership: Membership, project: Project) -> QuerySet[Task]:
    return Task.objects.filter(portal_id=membership.portal_id, project=project)


def visible_project_members(membership: Membership, project: Project) -> QuerySet[ProjectMember]:
    """The people of a project the person may see (staff see all of them)."""
    return ProjectMember.objects.filter(portal_id=membership.portal_id, project=project)
