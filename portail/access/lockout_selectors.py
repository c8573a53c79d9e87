"""Reads of the lock-out page (the list itself: `portals.selectors.locked_out_members`)."""

from __future__ import annotations

from portail.portals.models import Membership, MembershipStatus, Portal


def unlockable_member(*, portal: Portal, membership_id: int) -> Membership | None:
    """A person of this portal who may be unlocked (not removed), with their person and
    portal; None for anyone else."""
    return (
        Membership.objects.select_related("portal", "user")
        .filter(portal=portal, pk=membership_id)
        .exclude(status=MembershipStatus.DEACTIVATED)
        .first()
    )
