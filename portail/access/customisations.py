"""Client users' customised permissions in one project (RULES PE2-PE4): one
transaction each, audited.

A customisation stores a whole permission set (checked as a profile's is, by
`profiles.check_permissions`) and replaces the person's profile in that project
only, so later edits of the profile no longer change them there (PE6). Errors are
a `ValidationError` naming the field (`permissions`, `targets`), or on the whole
form when a customisation cannot be changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from portail.access.events import (
    PERMISSION_OVERRIDE_CLONED,
    PERMISSION_OVERRIDE_REMOVED,
    PERMISSION_OVERRIDE_SET,
)
from portail.access.member_selectors import CUSTOMISABLE_STATUSES, clone_candidates
from portail.access.models import PermissionOverride
from portail.access.profiles import check_permissions, full_set
from portail.accounts.models import User
from portail.audit.services import BULK_BATCH, audit_log, audit_log_many
from portail.portals.models import MembershipKind
from portail.projects.models import ProjectMember

# PE3: how many people one request may copy a customisation to, ticked or "everyone
# matching" (README "Operations"), so that it ends far within gunicorn's timeout (30 s).
# Each copy is a row and an audit event, written in bulk: a constant number of queries
# (one statement per 1,000 rows). Measured through the page on the 2-core machine while
# it ran other work (bench/request_caps.py): 1,000 people in 0.4 s on SQLite and
# 0.6-0.7 s on PostgreSQL; 5,000 in 1.6-1.8 s and 2.3-2.4 s; 10,000 in 3.5-3.8 s and
# 4.8-4.9 s; 20,000 in 8-9 s and 12.6-14 s, too near the timeout on a busy machine.
# The form says the same before any lookup; the service holds the rule for every other
# caller.
MAX_CLONE_TARGETS = 5_000


def too_many_targets(count: int, *, matching: bool = False) -> str:
    """The refusal of more than MAX_CLONE_TARGETS people to copy to in one request, ticked
    or everyone matching a search."""
    values = {
        "limit": formats.number_format(MAX_CLONE_TARGETS, force_grouping=True),
        "count": formats.number_format(count, force_grouping=True),
    }
    if matching:
        return (
            _(
                "At most %(limit)s people at once: %(count)s match. "
                "Narrow the search and copy in several steps."
            )
            % values
        )
    return (
        _(
            "At most %(limit)s people at once: you ticked %(count)s. "
            "Copy to the others in a second step."
        )
        % values
    )


def _name(member: ProjectMember) -> str:
    return member.membership.user.display_name


def _is_customisable(member: ProjectMember) -> bool:
    membership = member.membership
    return (
        membership.kind == MembershipKind.CLIENT
        and membership.status in CUSTOMISABLE_STATUSES
        and membership.portal_id == member.portal_id
    )


def _lock_members(pks: list[int]) -> dict[int, ProjectMember]:
    """The project members, locked in id order (so two admins take turns without a
    deadlock), with their person and portal; gone ones are missing from the answer."""
    rows = (
        ProjectMember.objects.select_for_update(of=("self",))
        .select_related("portal", "project", "membership__user")
        .filter(pk__in=pks)
        .order_by("pk")
    )
    return {row.pk: row for row in rows}


def _lock_copies(source: ProjectMember, where: Q) -> dict[int, ProjectMember]:
    """The source and the people to copy to (`where`), locked in id order, with their
    person. Those of the source's project share its project and portal objects (the
    source comes from the page with both): thousands of rows, not thousands of copies of
    the same two rows."""
    rows = (
        ProjectMember.objects.select_for_update(of=("self",))
        .select_related("membership__user")
        .filter(Q(pk=source.pk) | where)
        .order_by("pk")
    )
    locked = {}
    for row in rows:
        if row.project_id == source.project_id:
            row.project = source.project
        if row.portal_id == source.portal_id:
            row.portal = source.portal
        locked[row.pk] = row
    return locked


def _lock_client_member(member: ProjectMember) -> ProjectMember:
    locked = _lock_members([member.pk]).get(member.pk)
    if locked is None:
        raise ValidationError({NON_FIELD_ERRORS: _("This person is no longer on the project.")})
    if not _is_customisable(locked):
        raise ValidationError(
            {
                NON_FIELD_ERRORS: _(
                    "%(name)s is not a client user of this project: only client users’ "
                    "permissions can be customised."
                )
                % {"name": _name(locked)}
            }
        )
    return locked


@transaction.atomic
def member_permissions_customise(
    *, member: ProjectMember, permissions: Mapping[str, Any], actor: User | None
) -> PermissionOverride:
    """PE2: give a client user of a project their own permission set there, replacing their
    profile's in that project only. The set is stored whole (codes left out are `none`),
    so later edits of the profile no longer change them there (PE6)."""
    chosen = check_permissions(permissions)
    member = _lock_client_member(member)
    override = PermissionOverride.objects.filter(member=member).first()
    before = full_set(override.permissions) if override is not None else None
    if override is not None and override.permissions == chosen:
        return override
    if override is None:
        override = PermissionOverride(portal_id=member.portal_id, member=member)
    override.permissions = chosen
    override.updated_by = actor
    override.save()
    audit_log(
        portal=member.portal,
        actor=actor,
        action=PERMISSION_OVERRIDE_SET,
        target=override,
        before={"permissions": before} if before is not None else None,
        after={
            "project": member.project,
            "membership": member.membership,
            "permissions": chosen,
        },
    )
    return override


def _clone_source(source: ProjectMember, locked: Mapping[int, ProjectMember]) -> ProjectMember:
    found = locked.get(source.pk)
    if found is None:
        raise ValidationError(
            {NON_FIELD_ERRORS: _("The person you copy from is no longer on the project.")}
        )
    return found


def _original(source: ProjectMember, overrides: Mapping[int, PermissionOverride]) -> Any:
    """The source's customisation, whole; a source without one is refused."""
    original = overrides.get(source.pk)
    if original is None:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: _(
                    "%(name)s has no customisation to copy: they have their profile’s permissions."
                )
                % {"name": _name(source)}
            }
        )
    return full_set(original.permissions)


def _lock_overrides(members: Iterable[ProjectMember]) -> dict[int, PermissionOverride]:
    """The customisations of these project members, locked, by member id; one query."""
    return {
        row.member_id: row
        for row in PermissionOverride.objects.select_for_update().filter(
            member_id__in=[member.pk for member in members]
        )
    }


def _copy(
    source: ProjectMember,
    chosen: Mapping[str, str],
    targets: list[ProjectMember],
    overrides: Mapping[int, PermissionOverride],
    actor: User | None,
) -> list[PermissionOverride]:
    """Give each (locked, checked) target the permission set `chosen`, copied from `source`:
    a constant number of queries however many people (one insert, one update, one log;
    SQLite cuts the inserts in chunks of its parameter limit)."""
    now = timezone.now()
    new_rows, replaced, changes = [], [], []
    for row in targets:
        override = overrides.get(row.pk)
        before = full_set(override.permissions) if override is not None else None
        if override is None:
            override = PermissionOverride(portal_id=row.portal_id, member=row, created_at=now)
            new_rows.append(override)
        else:
            replaced.append(override)
        override.member = row  # loaded with its person and project, for the log
        override.permissions = dict(chosen)
        override.updated_by = actor
        override.updated_at = now
        changes.append((override, before))
    PermissionOverride.objects.bulk_create(new_rows, batch_size=BULK_BATCH)
    # The same values for every replaced one: one UPDATE (bulk_update would write a CASE
    # per row, which grows with the square of their number).
    PermissionOverride.objects.filter(pk__in=[override.pk for override in replaced]).update(
        permissions=dict(chosen), updated_by=actor, updated_at=now
    )
    audit_log_many(
        portal=source.portal,
        actor=actor,
        action=PERMISSION_OVERRIDE_CLONED,
        changes=[
            (
                override,
                {"permissions": before} if before is not None else None,
                {
                    "project": override.member.project,
                    "membership": override.member.membership,
                    "copied_from": source.membership,
                    "permissions": chosen,
                },
            )
            for override, before in changes
        ],
    )
    return [override for override, _before in changes]


def _refusal(source: ProjectMember, row: ProjectMember) -> str | None:
    """Why `row` cannot get `source`'s customisation, or None when it can."""
    values = {"name": _name(row)}
    if row.pk == source.pk:
        return _("%(name)s is the person you copy from.") % values
    if row.project_id != source.project_id or row.portal_id != source.portal_id:
        return _("%(name)s is not a member of this project.") % values
    if row.membership.kind != MembershipKind.CLIENT:
        return _("%(name)s is staff: staff permissions cannot be customised.") % values
    if not _is_customisable(row):
        return _("%(name)s is no longer a client user of this portal.") % values
    return None


@transaction.atomic
def member_permissions_clone(
    *, source: ProjectMember, targets: Iterable[ProjectMember], actor: User | None
) -> list[PermissionOverride]:
    """PE3: copy a client user's customisation to other client users of the same project,
    all or none. A target's own customisation, if any, is replaced. At most
    MAX_CLONE_TARGETS people, in a constant number of queries however many."""
    chosen_targets = list(targets)
    if not chosen_targets:
        raise ValidationError({"targets": _("Tick at least one client user to copy to.")})
    count = len({target.pk for target in chosen_targets})
    if count > MAX_CLONE_TARGETS:
        raise ValidationError({"targets": too_many_targets(count)})
    locked = _lock_copies(source, Q(pk__in=[target.pk for target in chosen_targets]))
    source = _clone_source(source, locked)
    overrides = _lock_overrides(locked.values())
    chosen = _original(source, overrides)
    errors: list[str] = []
    checked: dict[int, ProjectMember] = {}  # by id, in the order chosen, each once
    for target in chosen_targets:
        row = locked.get(target.pk)
        if row is None:
            errors.append(_("One of the people you chose is no longer on the project."))
            continue
        refusal = _refusal(source, row)
        if refusal is not None:
            errors.append(refusal)
        else:
            checked.setdefault(row.pk, row)
    if errors:
        raise ValidationError({"targets": errors})
    return _copy(source, chosen, list(checked.values()), overrides, actor)


@transaction.atomic
def member_permissions_clone_matching(
    *,
    source: ProjectMember,
    actor: User | None,
    search: str = "",
    company_id: int | None = None,
) -> list[PermissionOverride]:
    """PE3, "copy to everyone matching": copy a client user's customisation to every other
    client user of the project that `clone_candidates` lists for this search (name or
    email) and company, without naming them one by one.

    The people are found here, inside the transaction, when the copy is made, not when
    the page was shown: someone taken off the project or removed from the portal since
    is left out, someone put on it since is included. At most MAX_CLONE_TARGETS people;
    past that, or when nobody matches, nothing is done and the error (on `targets`) says
    why. A constant number of queries however many people.
    """
    matching = clone_candidates(source=source, search=search, company_id=company_id)
    count = matching.count()
    if count > MAX_CLONE_TARGETS:
        raise ValidationError({"targets": too_many_targets(count, matching=True)})
    locked = _lock_copies(source, Q(pk__in=matching.values("pk")))
    source = _clone_source(source, locked)
    overrides = _lock_overrides(locked.values())
    chosen = _original(source, overrides)
    # Changed between the count and the lock (no longer a client user): left out.
    targets = [row for row in locked.values() if _refusal(source, row) is None]
    if not targets:
        raise ValidationError({"targets": _nobody_matches(search, company_id)})
    return _copy(source, chosen, targets, overrides, actor)


def _nobody_matches(search: str, company_id: int | None) -> str:
    if search.strip() or company_id is not None:
        return _("Nobody matches this search: the customisation was not copied.")
    return _("There is no other client user on this project to copy to.")


@transaction.atomic
def member_permissions_reset(*, member: ProjectMember, actor: User | None) -> None:
    """PE4: delete a client user's customisation in a project: they have their profile's
    permissions there again, and follow its edits again (PE6)."""
    locked = _lock_members([member.pk]).get(member.pk)
    if locked is None:
        raise ValidationError({NON_FIELD_ERRORS: _("This person is no longer on the project.")})
    override = PermissionOverride.objects.select_for_update().filter(member=locked).first()
    if override is None:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: _(
                    "%(name)s has no customisation in this project: they already have their "
                    "profile’s permissions."
                )
                % {"name": _name(locked)}
            }
        )
    audit_log(
        portal=locked.portal,
        actor=actor,
        action=PERMISSION_OVERRIDE_REMOVED,
        target=override,
        before={
            "project": locked.project,
            "membership": locked.membership,
            "permissions": full_set(override.permissions),
        },
    )
    override.delete()
