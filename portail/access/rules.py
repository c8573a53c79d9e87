"""The one place that answers "may this person do this here?" (PE5).

Project-level: `can(membership, project, code, obj=None)` and
`permissions(membership, project)`. Portal-level questions are in
`portail.access.portal`. Querysets of project data for a person come from the selectors
in `portail.access.selectors`, which filter in SQL.

Staff rules (DESIGN.md): admins and managers may do everything in every
project of their portal; employees everything in projects they are members
of. A client user's permissions in a project they belong to come from their
client profile (PE1); editing the profile changes them at once (PE6), since
nothing is copied; a customisation in one project replaces the profile there (PE2).

An archived project is read-only for everyone: only `view` codes keep their level, and
staff keep `project.edit` (its settings, its people, and restoring it).
"""

from __future__ import annotations

from typing import Any

from portail.access.catalogue import Action, Level, Module, client_codes, codes, is_levelled, split
from portail.portals.models import Membership
from portail.projects.models import Project, ProjectMember, ProjectStatus
from portail.projects.permissions import PROJECT_EDIT
from portail.registry import registry

PermissionSet = dict[str, Level]
LEVELS = frozenset(level.value for level in Level)


def full() -> PermissionSet:
    """Every code of every registered module, at `all`."""
    return dict.fromkeys(codes(), Level.ALL)


def nothing() -> PermissionSet:
    """Every code of every registered module, at `none`."""
    return dict.fromkeys(codes(), Level.NONE)


_UNRESOLVED = object()


def _membership_in(membership: Membership, project: Project) -> tuple[bool, dict[str, str] | None]:
    """(is the person on the project, their customised set there or None).

    Access selectors annotate both on projects they list (`viewer_is_member`,
    `viewer_override`), so permissions for N projects cost no query per project;
    otherwise one query answers both.
    """
    flag = getattr(project, "viewer_is_member", None)
    override = getattr(project, "viewer_override", _UNRESOLVED)
    # The annotations describe the person the project was listed for (`viewer_id`): staff
    # previewing a client's view of a project they loaded for themselves must not be
    # answered from their own row (PE7).
    if (
        flag is not None
        and override is not _UNRESOLVED
        and getattr(project, "viewer_id", None) == membership.pk
    ):
        return bool(flag), override  # type: ignore[return-value]
    row = (
        ProjectMember.objects.filter(project_id=project.pk, membership=membership)
        .values_list("pk", "permission_override__permissions")
        .first()
    )
    if row is None:
        return False, None
    return True, row[1]


def permissions(membership: Membership | None, project: Project) -> PermissionSet:
    resolved = _permissions(membership, project)
    if project.status == ProjectStatus.ARCHIVED:
        return _read_only(resolved)
    return resolved


def _read_only(resolved: PermissionSet) -> PermissionSet:
    """What stays allowed in an archived project: seeing it, and (staff) managing it."""
    return {
        code: level if split(code)[1] == Action.VIEW or code == PROJECT_EDIT else Level.NONE
        for code, level in resolved.items()
    }


def _permissions(membership: Membership | None, project: Project) -> PermissionSet:
    """The effective permission set of this person in this project.

    Staff: everything where they may work (DESIGN.md). A client user on the
    project: their customisation there if they have one (PE2), else their
    profile's set (PE1), read live so a profile edit applies at once (PE6).
    """
    if membership is None or not membership.is_active or membership.portal_id != project.portal_id:
        return nothing()
    if membership.is_staff:
        if membership.sees_all_projects:
            return full()
        is_member, _override = _membership_in(membership, project)
        return full() if is_member else nothing()
    is_member, override = _membership_in(membership, project)
    if not is_member:
        return nothing()
    if override is not None:
        return profile_permissions(override)
    profile = membership.client_profile
    return profile_permissions(profile.permissions) if profile is not None else nothing()


def profile_permissions(stored: dict[str, str]) -> PermissionSet:
    """A stored permission set as a full one: every catalogue code, `none` when absent.

    Codes no longer in the catalogue, and staff-only codes, are ignored; a level the
    code does not take (`own` on `add`) counts as `none`.
    """
    resolved = nothing()
    for code, value in stored.items():
        if code not in client_codes() or value not in LEVELS:
            continue
        level = Level(value)
        if level == Level.OWN and not is_levelled(code):
            continue
        resolved[code] = level
    return resolved


def can(
    membership: Membership | None,
    project: Project,
    code: str,
    obj: Any = None,
    *,
    perms: PermissionSet | None = None,
) -> bool:
    """May this person do `code` (e.g. "tasks.edit") in this project, on `obj` if given?

    `own` levels allow an object that is the person's own by one of the fields its
    module declares (`own_fields`: who added it, who it is assigned to).
    Pass `perms` when they are already resolved for this project, to save a query.
    """
    module, _ability = registry.split(code)  # fails loudly on a code not in the catalogue
    level = (perms if perms is not None else permissions(membership, project)).get(code, Level.NONE)
    if level == Level.ALL:
        return True
    if level == Level.OWN and membership is not None:
        return obj is None or is_own(module, obj, membership)
    return False


def is_own(module: Module, obj: Any, membership: Membership) -> bool:
    """Is this row of `module` the person's own (added by them, assigned to them, ...)?"""
    return any(getattr(obj, f"{name}_id", None) == membership.pk for name in module.own_fields)


def abilities(
    membership: Membership | None, project: Project, *, perms: PermissionSet | None = None
) -> dict[str, bool]:
    """What the person may do in the project, for templates: `{"tasks_edit": True, ...}`.

    An `own` level counts as allowed here (the person may act on their own
    items); the view still asks `can` with the object before acting.
    """
    resolved = perms if perms is not None else permissions(membership, project)
    return {
        code.replace(".", "_"): can(membership, project, code, perms=resolved) for code in codes()
    }


def decides_visibility(membership: Membership) -> bool:
    """May this person decide what clients see of a row and who works on it (its
    `client_visible` flag, a task's assignee)? Staff only: what a client user adds is
    visible to clients, and the project's staff pick its assignee (CX3)."""
    return membership.is_staff
