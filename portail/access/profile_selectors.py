"""Reads of client profiles. Every query starts from the portal."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Lower

from portail.access.catalogue import builtin_client_permissions
from portail.access.models import BUILTIN_PROFILE_NAME, ClientProfile
from portail.portals.models import Membership, MembershipKind, MembershipStatus, Portal

# The people who use a profile: its client users, invited or active. People removed from
# the portal keep a profile on their row but do not count (`profiles.client_profile_delete`
# moves them). `client_profile_users` and `client_profiles` count the same people.
_USING_STATUSES = (MembershipStatus.INVITED, MembershipStatus.ACTIVE)
_USING = Q(client_users__kind=MembershipKind.CLIENT, client_users__status__in=_USING_STATUSES)


def client_profiles(*, portal: Portal) -> QuerySet[ClientProfile]:
    """The portal's client profiles, each with `user_count`, built-in first then by name;
    one query whatever their number."""
    return (
        ClientProfile.objects.filter(portal=portal)
        .annotate(user_count=Count("client_users", filter=_USING))
        .order_by("-is_builtin", Lower("name"), "id")
    )


def client_profile_list(*, portal: Portal) -> list[ClientProfile]:
    """The profiles of the list page (as `client_profiles`), the built-in one always first.

    A portal made without `createportal` (a test, or the Django admin before the built-in
    profile was made with the portal there) may not have its row yet: it is then shown
    as it will be stored (unsaved, `pk` None, nobody using it), and stored by the first
    service that needs it (`profiles.client_profile_builtin`). A page never writes.
    """
    profiles = list(client_profiles(portal=portal))
    if any(profile.is_builtin for profile in profiles):
        return profiles
    presented = ClientProfile(
        portal=portal,
        name=BUILTIN_PROFILE_NAME,
        permissions=dict(builtin_client_permissions()),
        is_builtin=True,
        is_default=not any(profile.is_default for profile in profiles),
    )
    presented.user_count = 0  # type: ignore[attr-defined]
    return [presented, *profiles]


def client_profile(*, portal: Portal, profile_id: int) -> ClientProfile | None:
    """The portal's profile with this id, with its `user_count`; None for another
    portal's or a missing one."""
    return client_profiles(portal=portal).filter(pk=profile_id).first()


def client_profile_choices(*, portal: Portal) -> QuerySet[ClientProfile]:
    """The portal's profiles, for a choice of one (built-in first, then by name)."""
    return ClientProfile.objects.filter(portal=portal).order_by("-is_builtin", Lower("name"), "id")


def client_profile_users(*, profile: ClientProfile) -> QuerySet[Membership]:
    """The client users who use the profile: invited or active, not removed ones
    (`client_profiles` counts the same people)."""
    return Membership.objects.filter(
        client_profile=profile, kind=MembershipKind.CLIENT, status__in=_USING_STATUSES
    )
