from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from portail.accounts.lockout import locked_out_usernames
from portail.accounts.models import User
from portail.portals.models import Membership, MembershipStatus, Portal


def active_membership(*, user: User | AnonymousUser, portal_slug: str) -> Membership | None:
    """The person's active membership of the portal with this slug, or None."""
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.select_related("portal", "user", "client_profile")
        .filter(user=user, portal__slug=portal_slug, status=MembershipStatus.ACTIVE)
        .first()
    )


def memberships_for_user(*, user: User) -> QuerySet[Membership]:
    """Every portal the person may enter, for the portal switcher."""
    return (
        Membership.objects.select_related("portal")
        .filter(user=user, status=MembershipStatus.ACTIVE)
        .order_by("portal__name")
    )


def locked_out_members(*, portal: Portal) -> list[Membership]:
    """The portal's people (not removed) whose sign-in is locked out now, by email."""
    people = Membership.objects.filter(portal=portal).exclude(status=MembershipStatus.DEACTIVATED)
    locked = locked_out_usernames(among=people.values("user__email"))
    return list(
        people.filter(user__email__in=locked).select_related("user").order_by("user__email")
    )
