"""Querysets of project data for one person, filtered in SQL (DESIGN.md, PE5).

What a client user may see follows their effective permissions in the project
(their customisation there, else their profile) and the client-visible flag
that staff set on milestones and tasks (CX3). Staff see everything of the
projects they may work on.
"""

from __future__ import annotations

from typing import Any

from django.db.models import (
    CharField,
    Exists,
    IntegerField,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from portail.access import rules
from portail.access.catalogue import Action, Level, Module
from portail.access.models import PermissionOverride
from portail.portals.models import Membership
from portail.projects.models import Project, ProjectMember
from portail.projects.permissions import PROJECT_VIEW

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


def person_name(viewer: Membership, person: Membership | None) -> str | None:
    """How `person` is named on `viewer`'s pages, or None when `viewer` may not know them.

    Staff see everyone's name (or email). A client user sees the project's staff and the
    people of their own company by name only, and never learns of another client
    company's people, nor anyone's email address (CX3).
    """
    if person is None:
        return None
    if viewer.is_staff:
        return person.user.display_name
    if person.is_staff or (
        person.client_company_id is not None
        and person.client_company_id == viewer.client_company_id
    ):
        return person.user.full_name or str(_("Name not given"))
    return None


def owner_name(viewer: Membership, owner: Membership) -> str:
    """How a project's owner is named in `viewer`'s project list: staff see their name or
    email; a client user their name only, else "Project team" (never an email, CX3)."""
    if viewer.is_staff:
        return owner.user.display_name
    return owner.user.full_name or str(_("Project team"))


def own_rows(module: Module, membership: Membership) -> Q:
    """SQL: the rows of `module` that are this person's own (its `own_fields`)."""
    condition = Q(pk__in=[])
    for name in module.own_fields:
        condition |= Q(**{name: membership})
    return condition


def visible(
    membership: Membership,
    project: Project,
    module: Module,
    *,
    perms: rules.PermissionSet | None = None,
) -> QuerySet[Any]:
    """The rows of `module` in this project that this person may see.

    Staff: all of them. A client user, at their level for `<module>.view` in the project
    (their customisation there, else their profile): nothing at `none`; else only the
    rows shown to clients (the module's `client_visible` field), narrowed by the
    module's own rule for clients (`client_rows`), and at `own` only their own rows.
    Pass `perms` when the page resolved them already (the gate did).
    """
    rows: QuerySet[Any] = module.model.objects.filter(
        portal_id=membership.portal_id, project=project
    )
    if membership.is_staff:
        return rows
    resolved = perms if perms is not None else rules.permissions(membership, project)
    level = resolved.get(module.code(Action.VIEW), Level.NONE)
    if level == Level.NONE:
        return rows.none()
    rows = _shown_to_clients(rows, membership, module)
    if level == Level.OWN:
        rows = rows.filter(own_rows(module, membership))
    return rows


def visible_in(membership: Membership, projects: list[Project], module: Module) -> QuerySet[Any]:
    """What `visible` gives project by project, for several projects in one queryset (a
    page of the project list counting each one's progress).

    The projects must come from `visible_projects(membership)`: their permissions then
    resolve with no query, so each project's level is decided once, here, and one filter
    covers them all.
    """
    rows: QuerySet[Any] = module.model.objects.filter(
        portal_id=membership.portal_id, project_id__in=[project.pk for project in projects]
    )
    if membership.is_staff:
        return rows
    code = module.code(Action.VIEW)
    everything, own = [], []
    for project in projects:
        level = rules.permissions(membership, project).get(code, Level.NONE)
        if level == Level.ALL:
            everything.append(project.pk)
        elif level == Level.OWN:
            own.append(project.pk)
    return _shown_to_clients(rows, membership, module).filter(
        Q(project_id__in=everything) | (Q(project_id__in=own) & own_rows(module, membership))
    )


def _shown_to_clients(rows: QuerySet[Any], membership: Membership, module: Module) -> QuerySet[Any]:
    """The rows a client user may see at all: shown to clients (the module's
    `client_visible` field), narrowed by the module's own rule for clients."""
    if module.client_visible:
        rows = rows.filter(**{module.client_visible: True})
    if module.client_rows is not None:
        rows = module.client_rows(rows, membership)
    return rows
