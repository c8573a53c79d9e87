"""Reads of client profiles. Every query starts from the portal."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Lower

from portail.access.models import ClientProfile
from portail.portals.models import MembershipKind, MembershipStatus, Portal

# The people who use a profile: its client users, invited or active. People removed from
# the portal keep a profile on their row but do not count (services.client_profile_delete
# moves them; keep the two in step).
_USING = Q(
    client_users__kind=MembershipKind.CLIENT,
    client_users__status__in=[MembershipStatus.INVITED, MembershipStatus.ACTIVE],
)


def client_profiles(*, portal: Portal) -> QuerySet[ClientProfile]:
    """The portal's client profiles, each with `user_count`, built-in first then by name;
    one query whatever their number."""
    return (
        ClientProfile.objects.filter(portal=portal)
        .annotate(user_count=Count("client_users", filter=_USING))
        .order_by("-is_builtin", Lower("name"), "id")
    )


def client_profile_choices(*, portal: Portal) -> QuerySet[ClientProfile]:
    """The portal's profiles, for a choice of one (built-in first, then by name)."""
    return ClientProfile.objects.filter(portal=portal).order_by("-is_builtin", Lower("name"), "id")
