"""Reads for the pages of a client user's permissions in one project (RULES PE2-PE4, PE7).

Every query starts from the project the view was given (itself loaded from the
person's portal by `project_permission`). A client member comes with their
person, company, profile and customisation in one query, so a page costs the
same whatever it shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from portail.access.catalogue import (
    ACTION_LABELS,
    LEVEL_LABELS,
    Action,
    Level,
    Module,
    client_actions,
    is_levelled,
    modules,
)
from portail.access.models import PermissionOverride
from portail.access.rules import PermissionSet, nothing, profile_permissions
from portail.accounts.selectors import person_matches
from portail.portals.models import MembershipKind, MembershipStatus, Portal
from portail.projects.models import Project, ProjectMember

# The client users whose permissions staff may customise (PE2, PE3): invited (so a
# newcomer's rights are right before they first sign in) or active. People removed from
# the portal are no longer on any project (CU7).
CUSTOMISABLE_STATUSES = (MembershipStatus.INVITED, MembershipStatus.ACTIVE)

# The grid's columns, whatever order a module declares its actions in (the profile grid too).
GRID_ACTIONS: tuple[Action, ...] = (Action.VIEW, Action.ADD, Action.EDIT, Action.DELETE)

# On/off codes (add, users.view) read better as yes or no than as a level.
ON_OFF_LABELS: dict[Level, Promise] = {Level.NONE: _("No"), Level.ALL: _("Yes")}


def client_members(*, project: Project) -> QuerySet[ProjectMember]:
    """The project's client members, with their person, company, profile, customisation
    (loaded: `override_of` costs no query) and `is_customised`, by company then name."""
    return (
        ProjectMember.objects.filter(
            portal_id=project.portal_id,
            project=project,
            membership__portal_id=project.portal_id,
            membership__kind=MembershipKind.CLIENT,
        )
        .select_related(
            "membership__user",
            "membership__client_company",
            "membership__client_profile",
            "permission_override",
        )
        .annotate(is_customised=Exists(PermissionOverride.objects.filter(member=OuterRef("pk"))))
        .order_by("membership__client_company__name", "membership__user__full_name", "pk")
    )


def client_member(*, portal: Portal, project: Project, membership_id: int) -> ProjectMember | None:
    """The project's client member for this portal membership; None for anyone else (staff,
    a client of another project or portal, someone who is not there)."""
    if project.portal_id != portal.pk:
        return None
    # filter().first() rather than get(): zeal counts repeated get()s as an N+1.
    member = client_members(project=project).filter(membership_id=membership_id).first()
    if member is None:
        return None
    member.project = project  # already loaded: saves a query in services and templates
    member.portal = portal
    return member


def override_of(member: ProjectMember) -> PermissionOverride | None:
    """The member's customisation, or None (no query when loaded by `client_members`)."""
    try:
        override: PermissionOverride = member.permission_override
    except ObjectDoesNotExist:
        return None
    return override


def profile_set(member: ProjectMember) -> PermissionSet:
    """What the member's client profile grants (PE1): what they have without a customisation."""
    profile = member.membership.client_profile
    return profile_permissions(profile.permissions) if profile is not None else nothing()


def effective_set(member: ProjectMember) -> PermissionSet:
    """What the member may do in the project: their customisation there, else their profile
    (as `rules.permissions` resolves it for an active client user)."""
    override = override_of(member)
    if override is None:
        return profile_set(member)
    return profile_permissions(override.permissions)


def level_label(code: str, level: Level) -> Promise:
    """ "Own", "All"… for a levelled code; "Yes" or "No" for an on/off one."""
    return LEVEL_LABELS[level] if is_levelled(code) else ON_OFF_LABELS[level]


@dataclass(frozen=True)
class Difference:
    """One code, as the profile grants it and as it is in this project (PE7)."""

    code: str
    module: Module
    action: Action
    profile_level: Level
    level: Level

    @property
    def changed(self) -> bool:
        return self.level != self.profile_level

    @property
    def action_label(self) -> Promise:
        return ACTION_LABELS[self.action]

    @property
    def label(self) -> Promise:
        return level_label(self.code, self.level)

    @property
    def profile_label(self) -> Promise:
        return level_label(self.code, self.profile_level)


@dataclass(frozen=True)
class DiffRow:
    """A module of the read-only grid: `cells` are (action label, Difference or None), in the
    columns of the profile grid, so `access/_grid.html` renders both."""

    module: Module
    cells: list[tuple[Promise, Difference | None]]


@dataclass(frozen=True)
class PermissionDiff:
    differences: list[Difference]  # every catalogue code, in catalogue order

    @property
    def changed(self) -> list[Difference]:
        return [d for d in self.differences if d.changed]

    def rows(self) -> list[DiffRow]:
        by_code = {d.code: d for d in self.differences}
        return [
            DiffRow(
                module=module,
                cells=[
                    (ACTION_LABELS[action], by_code.get(f"{module.key}.{action}"))
                    for action in GRID_ACTIONS
                ],
            )
            for module in modules()
        ]


def permission_diff(member: ProjectMember) -> PermissionDiff:
    """Per code: the profile's level, the level in this project, and whether the
    customisation changes it (PE7). Without a customisation nothing is changed."""
    profile = profile_set(member)
    effective = effective_set(member)
    return PermissionDiff(
        differences=[
            Difference(
                code=f"{module.key}.{action}",
                module=module,
                action=action,
                profile_level=profile[f"{module.key}.{action}"],
                level=effective[f"{module.key}.{action}"],
            )
            for module in modules()
            for action in client_actions(module)
        ]
    )


def clone_candidates(
    *, source: ProjectMember, search: str = "", company_id: int | None = None
) -> QuerySet[ProjectMember]:
    """The client users a customisation can be copied to (PE3): the other client members of
    the same project who are invited or active, each with `is_customised`; with `search`,
    those whose name or email holds it; with `company_id`, those of that company."""
    found = (
        client_members(project=source.project)
        .filter(membership__status__in=CUSTOMISABLE_STATUSES)
        .exclude(pk=source.pk)
    )
    search = search.strip()
    if search:
        found = found.filter(person_matches(search, via="membership__user__"))
    if company_id is not None:
        found = found.filter(membership__client_company_id=company_id)
    return found


def clone_companies(*, source: ProjectMember) -> list[tuple[int, str]]:
    """PE3: the client companies (id, name) of the people a customisation can be copied to,
    by name: the choices of the dialog's company filter; one query."""
    return list(
        clone_candidates(source=source)
        .order_by()
        .values_list("membership__client_company_id", "membership__client_company__name")
        .distinct()
        .order_by("membership__client_company__name", "membership__client_company_id")
    )
