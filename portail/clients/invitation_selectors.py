"""Reads of client users' invitations (RULES CU3, CU4, CU10): their state for the
admin's pages, and what a link is worth. Nothing here changes anything: opening a link
only reads (mail scanners open links); `invitation_services` spends it.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from portail.accounts.tokens import hash_token
from portail.clients.models import Invitation
from portail.portals.models import Membership, MembershipKind, MembershipStatus, Portal

# CU3: an unused invitation may be sent again once this much time has passed.
REINVITE_AFTER = dt.timedelta(hours=24)

# An invitation nobody accepted, revoked or replaced (the partial unique index's condition).
OPEN = Q(accepted_at__isnull=True, revoked_at__isnull=True, superseded_at__isnull=True)


# The admin's view of invitations (CU10) ------------------------------------------------------

StateName = Literal["pending", "expired", "accepted", "revoked", "none"]


@dataclass(frozen=True)
class InvitationState:
    """A client user's latest invitation, as the client users page shows it.

    `can_reinvite_at` is when an admin may send a new invitation: None when
    they may not at all (the person joined, or was removed); a moment in the
    past when they may now. `reinvite_allowed` says which, as of the reading.
    """

    state: StateName
    sent_at: dt.datetime | None
    expires_at: dt.datetime | None
    accepted_at: dt.datetime | None
    revoked_at: dt.datetime | None
    can_reinvite_at: dt.datetime | None
    reinvite_allowed: bool

    @property
    def revocable(self) -> bool:
        return self.state == "pending"


def invitation_states(
    *,
    portal: Portal,
    membership_ids: Iterable[int] | None = None,
    now: dt.datetime | None = None,
) -> dict[int, InvitationState]:
    """The invitation state of the portal's client users, by membership id; one query.

    Pages pass the ids of the rows they show (`membership_ids`): the state of the people
    on one page, not of every client user of the portal (20,000 at agency scale).
    """
    now = now or timezone.now()
    latest = Invitation.objects.filter(membership=OuterRef("pk")).order_by("-created_at", "-id")
    people = Membership.objects.filter(portal=portal, kind=MembershipKind.CLIENT)
    if membership_ids is not None:
        people = people.filter(pk__in=list(membership_ids))
    rows = people.annotate(
        inv_created_at=Subquery(latest.values("created_at")[:1]),
        inv_expires_at=Subquery(latest.values("expires_at")[:1]),
        inv_accepted_at=Subquery(latest.values("accepted_at")[:1]),
        inv_revoked_at=Subquery(latest.values("revoked_at")[:1]),
    ).values_list(
        "pk", "status", "inv_created_at", "inv_expires_at", "inv_accepted_at", "inv_revoked_at"
    )
    return {
        pk: _state(now, status, sent_at, expires_at, accepted_at, revoked_at)
        for pk, status, sent_at, expires_at, accepted_at, revoked_at in rows
    }


def _state(
    now: dt.datetime,
    status: str,
    sent_at: dt.datetime | None,
    expires_at: dt.datetime | None,
    accepted_at: dt.datetime | None,
    revoked_at: dt.datetime | None,
) -> InvitationState:
    name: StateName
    if sent_at is None:
        name = "none"
    elif accepted_at is not None:
        name = "accepted"
    elif revoked_at is not None:
        name = "revoked"
    elif expires_at is not None and expires_at <= now:
        name = "expired"
    else:
        name = "pending"
    can_reinvite_at: dt.datetime | None = None
    if status == MembershipStatus.INVITED:
        # Same rule as invitation_send: only an unused, unrevoked invitation holds the next back.
        if sent_at is not None and name in ("pending", "expired"):
            can_reinvite_at = sent_at + REINVITE_AFTER
        else:
            can_reinvite_at = now
    return InvitationState(
        state=name,
        sent_at=sent_at,
        expires_at=expires_at,
        accepted_at=accepted_at,
        revoked_at=revoked_at,
        can_reinvite_at=can_reinvite_at,
        reinvite_allowed=can_reinvite_at is not None and can_reinvite_at <= now,
    )


# Opening a link (CU4) ----------------------------------------------------------------------


class LinkStatus(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"
    SUPERSEDED = "superseded"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class InvitationCheck:
    """What a link is worth. `invitation` is None only for an unknown link."""

    status: LinkStatus
    invitation: Invitation | None = None

    @property
    def usable(self) -> bool:
        return self.status == LinkStatus.VALID


def invitation_for_token(*, raw_token: str, now: dt.datetime | None = None) -> InvitationCheck:
    """Look a link up and say what it is worth, changing nothing (mail scanners open links).

    When several reasons apply, the one the person can act on comes first:
    used, then withdrawn (revoked, or the person was removed), then replaced,
    then expired.
    """
    now = now or timezone.now()
    digest = hash_token(raw_token)
    invitation = (
        Invitation.objects.select_related(
            "portal", "invited_by", "membership__user", "membership__client_company"
        )
        .filter(token_hash=digest)
        .first()
    )
    if invitation is None or not hmac.compare_digest(invitation.token_hash, digest):
        return InvitationCheck(LinkStatus.UNKNOWN)
    membership = invitation.membership
    if invitation.accepted_at is not None:
        status = LinkStatus.USED
    elif invitation.revoked_at is not None or membership.status == MembershipStatus.DEACTIVATED:
        status = LinkStatus.REVOKED
    elif invitation.superseded_at is not None:
        status = LinkStatus.SUPERSEDED
    elif membership.status == MembershipStatus.ACTIVE:
        # Open, but the person joined another way (an admin activated them): nothing left to do.
        status = LinkStatus.USED
    elif invitation.expires_at <= now:
        status = LinkStatus.EXPIRED
    else:
        status = LinkStatus.VALID
    return InvitationCheck(status, invitation)
