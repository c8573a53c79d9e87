"""Changes to client profiles (RULES PE1, PE6): one transaction each, audited; the
portal's built-in profile; the checks of a profile's name and of a permission set.

Services trust their caller for permissions (views ask `portail.access.portal`),
but not for tenancy: a profile to copy must be of the same portal. Errors are a
`ValidationError` naming the field (`name`, `permissions`, `clone_of`), or on the
whole form when a profile cannot be deleted.

A profile's permissions are never copied onto its users: `rules.permissions`
reads them from the profile, so saving a profile changes every user of it at
once (PE6). Per-project customisations are in `customisations`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portail.access.catalogue import (
    builtin_client_permissions,
    client_codes,
    codes,
    levels_for,
    staff_only_codes,
)
from portail.access.events import (
    CLIENT_PROFILE_CREATED,
    CLIENT_PROFILE_DEFAULT_SET,
    CLIENT_PROFILE_DELETED,
    CLIENT_PROFILE_PERMISSIONS_CHANGED,
    CLIENT_PROFILE_RENAMED,
)
from portail.access.models import BUILTIN_PROFILE_NAME, ClientProfile
from portail.access.profile_selectors import client_profile_users
from portail.access.rules import profile_permissions
from portail.accounts.models import User
from portail.audit.services import audit_log
from portail.portals.models import Membership, Portal
from portail.unique_names import same_name, save_unique

NAME_MAX_LENGTH = ClientProfile._meta.get_field("name").max_length or 100


def client_profile_builtin(*, portal: Portal) -> ClientProfile:
    """The portal's built-in "Client" profile, created if the portal has none yet.

    Portals get it from `createportal`, `load_demo` and the Django admin; a portal made
    another way (a test) gets it the first time a service asks (pages only read:
    `profile_selectors.client_profile_list` shows it before its row exists). It is the
    default profile unless another one already is.
    """
    found = ClientProfile.objects.filter(portal=portal, is_builtin=True).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return ClientProfile.objects.create(
                portal=portal,
                name=BUILTIN_PROFILE_NAME,
                permissions=dict(builtin_client_permissions()),
                is_builtin=True,
                is_default=not ClientProfile.objects.filter(
                    portal=portal, is_default=True
                ).exists(),
            )
    except IntegrityError:
        # A concurrent request created it first (one built-in profile per portal).
        return ClientProfile.objects.get(portal=portal, is_builtin=True)


# Checks ----------------------------------------------------------------------------------


def _existing_named(portal_id: int, name: str, exclude_pk: int | None) -> ClientProfile | None:
    """The portal's profile whose name matches `name`, ignoring case and surrounding spaces.

    Compared in the database with the expression of the constraint
    `access_profile_name_unique_in_portal`, so the check and the constraint agree.
    """
    return same_name(ClientProfile.objects.filter(portal_id=portal_id), name, exclude_pk=exclude_pk)


def _name_taken(existing: ClientProfile) -> ValidationError:
    return ValidationError(
        {"name": _("A client profile named “%(name)s” already exists.") % {"name": existing.name}}
    )


def _check_name(portal_id: int, name: str, exclude_pk: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the profile a name.")})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            {"name": _("Use at most %(max)d characters.") % {"max": NAME_MAX_LENGTH}}
        )
    existing = _existing_named(portal_id, name, exclude_pk)
    if existing is not None:
        raise _name_taken(existing)
    return name


def _save(profile: ClientProfile, **kwargs: Any) -> None:
    """Save; a concurrent request that took the name first gets the same error as the check."""
    save_unique(
        profile,
        existing=lambda: _existing_named(profile.portal_id, profile.name, profile.pk),
        taken=_name_taken,
        **kwargs,
    )


def check_permissions(permissions: Mapping[str, Any]) -> dict[str, str]:
    """The full permission set (every catalogue code; absent means none), or an error
    naming each unknown code and each level its action does not take.

    Profiles and customisations (PE2) are both checked here before anything is stored.
    """
    if not isinstance(permissions, Mapping):
        raise ValidationError({"permissions": _("Give the permissions as a set of codes.")})
    errors: list[str] = []
    for code, level in permissions.items():
        if code not in codes():
            errors.append(_("“%(code)s” is not a permission of the catalogue.") % {"code": code})
            continue
        if code in staff_only_codes():
            if level != "none":
                errors.append(
                    _("“%(code)s” is for staff only: a client user cannot be given it.")
                    % {"code": code}
                )
            continue
        allowed = levels_for(code)
        if not isinstance(level, str) or level not in allowed:
            errors.append(
                _("%(code)s cannot be “%(level)s”: use one of %(levels)s.")
                % {"code": code, "level": level, "levels": ", ".join(allowed)}
            )
    if errors:
        raise ValidationError({"permissions": errors})
    return {code: str(permissions.get(code, "none")) for code in sorted(client_codes())}


def full_set(stored: Mapping[str, str]) -> dict[str, str]:
    """A stored set as the full set it means (codes gone from the catalogue, and staff-only
    codes, left out)."""
    resolved = profile_permissions(dict(stored))
    return {code: resolved[code].value for code in sorted(client_codes())}


def _lock(profile: ClientProfile) -> ClientProfile:
    # filter().first() rather than get(): zeal counts repeated get()s as an N+1.
    locked = (
        ClientProfile.objects.select_for_update()
        .select_related("portal")
        .filter(pk=profile.pk)
        .first()
    )
    if locked is None:
        raise ValidationError({NON_FIELD_ERRORS: _("This client profile has been deleted.")})
    return locked


# Services --------------------------------------------------------------------------------


@transaction.atomic
def client_profile_create(
    *,
    portal: Portal,
    actor: User | None,
    name: str,
    permissions: Mapping[str, Any] | None = None,
    clone_of: ClientProfile | None = None,
) -> ClientProfile:
    """A new profile of the portal: with `permissions`, as a copy of `clone_of`'s, or with
    every permission `none` (blank). It is not the default profile.

    The portal's built-in profile is stored first if it was not yet (the list page shows
    it before its row exists: `profile_selectors.client_profile_list`)."""
    client_profile_builtin(portal=portal)
    if clone_of is not None and permissions is not None:
        raise ValidationError(
            {"clone_of": _("Start from a copy of a profile or from a blank one, not both.")}
        )
    if clone_of is not None and clone_of.portal_id != portal.pk:
        raise ValidationError({"clone_of": _("Choose a profile of this portal.")})
    clean_name = _check_name(portal.pk, name)
    if clone_of is not None:
        chosen = full_set(clone_of.permissions)
    else:
        chosen = check_permissions(permissions or {})
    profile = ClientProfile(portal=portal, name=clean_name, permissions=chosen)
    _save(profile)
    audit_log(
        portal=portal,
        actor=actor,
        action=CLIENT_PROFILE_CREATED,
        target=profile,
        after={
            "name": profile.name,
            "permissions": chosen,
            "clone_of": clone_of,
        },
    )
    return profile


@transaction.atomic
def client_profile_rename(
    *, profile: ClientProfile, actor: User | None, name: str
) -> ClientProfile:
    """Give the profile another name (its own name in another case is fine)."""
    profile = _lock(profile)
    clean_name = _check_name(profile.portal_id, name, exclude_pk=profile.pk)
    if clean_name == profile.name:
        return profile
    before = profile.name
    profile.name = clean_name
    _save(profile, update_fields=["name", "updated_at"])
    audit_log(
        portal=profile.portal,
        actor=actor,
        action=CLIENT_PROFILE_RENAMED,
        target=profile,
        before={"name": before},
        after={"name": clean_name},
    )
    return profile


@transaction.atomic
def client_profile_set_permissions(
    *, profile: ClientProfile, actor: User | None, permissions: Mapping[str, Any]
) -> ClientProfile:
    """Replace the profile's permission set (codes left out become `none`).

    PE6: every client user of the profile has the new permissions at once, in
    every project where they have no customisation (nothing is copied to them).
    """
    chosen = check_permissions(permissions)
    profile = _lock(profile)
    before = full_set(profile.permissions)
    changed = sorted(code for code in chosen if before.get(code) != chosen[code])
    if not changed and profile.permissions == chosen:
        return profile
    profile.permissions = chosen
    profile.save(update_fields=["permissions", "updated_at"])
    if changed:
        audit_log(
            portal=profile.portal,
            actor=actor,
            action=CLIENT_PROFILE_PERMISSIONS_CHANGED,
            target=profile,
            before={code: before[code] for code in changed},
            after={code: chosen[code] for code in changed},
        )
    return profile


@transaction.atomic
def client_profile_set_default(*, profile: ClientProfile, actor: User | None) -> ClientProfile:
    """Make this the portal's default profile for new client users (CU5), taking the mark
    from the previous default in the same transaction."""
    # Lock every profile of the portal, so two admins setting different defaults at
    # once take turns; the partial unique index refuses a second default anyway.
    rows = list(
        ClientProfile.objects.select_for_update()
        .select_related("portal")
        .filter(portal_id=profile.portal_id)
        .order_by("pk")
    )
    locked = next((row for row in rows if row.pk == profile.pk), None)
    if locked is None:
        raise ValidationError({NON_FIELD_ERRORS: _("This client profile has been deleted.")})
    if locked.is_default:
        return locked
    previous = next((row for row in rows if row.is_default), None)
    if previous is not None:
        previous.is_default = False
        previous.save(update_fields=["is_default", "updated_at"])
    locked.is_default = True
    locked.save(update_fields=["is_default", "updated_at"])
    audit_log(
        portal=locked.portal,
        actor=actor,
        action=CLIENT_PROFILE_DEFAULT_SET,
        target=locked,
        before={"default": previous},
        after={"default": locked},
    )
    return locked


@transaction.atomic
def client_profile_delete(*, profile: ClientProfile, actor: User | None) -> None:
    """Delete a profile nobody uses.

    Refused for the built-in profile, for the default one (another must be made
    default first), and while client users use it (they are moved first, one by
    one, on their pages). People removed from the portal who had it are moved
    to the default profile: they get a profile again when they are added back.
    """
    profile = _lock(profile)
    if profile.is_builtin:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: _("The built-in profile “%(name)s” cannot be deleted.")
                % {"name": profile.name}
            }
        )
    if profile.is_default:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: _(
                    "“%(name)s” is the default profile: make another profile the default first."
                )
                % {"name": profile.name}
            }
        )
    in_use = client_profile_users(profile=profile).count()
    if in_use:
        raise _in_use(in_use)
    default = ClientProfile.objects.filter(portal_id=profile.portal_id, is_default=True).first()
    if default is None:
        default = client_profile_builtin(portal=profile.portal)
    removed = Membership.objects.filter(client_profile=profile)
    moved = list(removed.select_related("user").order_by("pk"))
    removed.update(client_profile=default)
    audit_log(
        portal=profile.portal,
        actor=actor,
        action=CLIENT_PROFILE_DELETED,
        target=profile,
        before={"name": profile.name, "permissions": full_set(profile.permissions)},
        after={"removed_users_moved_to": default, "removed_users": moved} if moved else None,
    )
    try:
        with transaction.atomic():
            profile.delete()
    except (ProtectedError, IntegrityError):
        # Someone was given the profile after the count: say so, as the check does.
        raise _in_use(max(client_profile_users(profile=profile).count(), 1)) from None


def _in_use(count: int) -> ValidationError:
    return ValidationError(
        {
            NON_FIELD_ERRORS: ngettext(
                "%(count)d client user uses this profile: move them to another profile first.",
                "%(count)d client users use this profile: move them to another profile first.",
                count,
            )
            % {"count": count}
        }
    )
