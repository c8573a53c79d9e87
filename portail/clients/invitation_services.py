"""Invitations of client users (RULES CU2-CU4, CU7, CU8, CU10): the services that send,
revoke and accept them, and the outbox's minter of links.

A link carries a random token (`accounts.tokens`); only its SHA-256 hash is
stored, and the token itself is made when the email is sent, never before
(`invitation_link_mint`, called by the outbox worker: see notifications/links.py
for why), so no row, log line or audit event holds a working link. Opening a
link only reads (`invitation_selectors.invitation_for_token`: mail scanners open
links); accepting it (`invitation_accept`) spends it with a conditional UPDATE, so a
second or concurrent submission fails. Every change locks the membership
row first, then touches its invitations: the same order as
`client_users.client_user_remove`, so two of them never wait on each other.

Permission checks happen in the views (`invitation_views.py`), not here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portail.accounts.models import User
from portail.accounts.tokens import new_token
from portail.audit.services import audit_log
from portail.clients.events import INVITATION_ACCEPTED, INVITATION_REVOKED, INVITATION_SENT
from portail.clients.invitation_presentation import duration_text
from portail.clients.invitation_selectors import (
    OPEN,
    REINVITE_AFTER,
    InvitationCheck,
    invitation_for_token,
)
from portail.clients.models import Invitation
from portail.notifications.links import LINK_PLACEHOLDER, EmailLink
from portail.notifications.services import email_queue
from portail.portals.models import Membership, MembershipKind, MembershipStatus

INVITATION_LIFETIME = dt.timedelta(days=7)
FULL_NAME_MAX_LENGTH = User._meta.get_field("full_name").max_length or 150

# The outbox's name for links to an invitation (registered in apps.py).
LINK_KIND = "invitation"


# Sending, revoking, the removal notice ---------------------------------------------------


@transaction.atomic
def invitation_send(
    *, membership: Membership, actor: User | None, now: dt.datetime | None = None
) -> Invitation:
    """CU2-CU4: email the client user a link to join the portal; return the invitation.

    The previous link stops working (CU4). An unused invitation may be sent again
    only once REINVITE_AFTER has passed since it was sent (CU3); one that was
    accepted or revoked does not hold the next back. Someone who has joined, or
    was removed, is refused. Errors are not about a form field: NON_FIELD_ERRORS.
    """
    now = now or timezone.now()
    membership = _lock(membership)
    user = membership.user
    if membership.status == MembershipStatus.ACTIVE:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: _("%(name)s has already joined %(portal)s.")
                % {"name": user.display_name, "portal": membership.portal.name}
            },
            code="joined",
        )
    if membership.status != MembershipStatus.INVITED:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: _(
                    "%(name)s was removed from this portal: add them again to invite them."
                )
                % {"name": user.display_name}
            },
            code="removed",
        )
    invitations = Invitation.objects.filter(membership=membership)
    latest = invitations.order_by("-created_at", "-id").first()
    if latest is not None and latest.accepted_at is None and latest.revoked_at is None:
        allowed_at = latest.created_at + REINVITE_AFTER
        if now < allowed_at:
            raise ValidationError(
                {
                    NON_FIELD_ERRORS: _("You can invite %(name)s again in %(time)s.")
                    % {"name": user.display_name, "time": duration_text(allowed_at - now)}
                },
                code="too_soon",
            )
    superseded = sorted(invitations.filter(OPEN).values_list("pk", flat=True))
    invitations.filter(pk__in=superseded).update(superseded_at=now)
    _unknown, digest = new_token()
    invitation = Invitation.objects.create(
        portal=membership.portal,
        membership=membership,
        token_hash=digest,
        invited_by=actor,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    audit_log(
        portal=membership.portal,
        actor=actor,
        action=INVITATION_SENT,
        target=invitation,
        before={"superseded": superseded} if superseded else None,
        after={
            "membership": membership,
            "email": user.email,
            "expires_at": invitation.expires_at,
        },
    )
    # A reminder when an earlier link went unused (replaced, expired or withdrawn); someone
    # who joined once and was added back gets a first invitation again.
    template = (
        "client_reinvitation"
        if latest is not None and latest.accepted_at is None
        else "client_invitation"
    )
    email_queue(
        kind=template,
        to=user.email,
        template=template,
        context={
            "user": user,
            "inviter": actor,
            "company": membership.client_company,
            "accept_url": LINK_PLACEHOLDER,
            "expires_at": invitation.expires_at,
            "time_zone": membership.portal.time_zone,
        },
        language=user.language,
        portal=membership.portal,
        link=EmailLink(LINK_KIND, invitation.pk),
        now=now,
    )
    return invitation


@transaction.atomic
def invitation_link_mint(invitation_id: int, now: dt.datetime) -> str | None:
    """The outbox's minter for invitation emails: a fresh link, or None if it has no use.

    Makes a new token and stores its hash on the invitation with a conditional
    UPDATE that holds only while the invitation is open (not accepted, revoked
    or replaced) and unexpired, and the person is still invited; the membership
    row is locked first, as by every other change of invitations, so a revoke,
    a re-invitation or an acceptance running at the same time is either wholly
    before (no link: the email is cancelled) or wholly after (it wins). The
    previous token of this invitation, if any (an earlier attempt that was not
    delivered), stops working. The raw token is returned inside the URL only.
    """
    membership_id = (
        Invitation.objects.filter(pk=invitation_id).values_list("membership_id", flat=True).first()
    )
    if membership_id is None:
        return None
    invited = (
        Membership.objects.select_for_update()
        .filter(pk=membership_id, kind=MembershipKind.CLIENT, status=MembershipStatus.INVITED)
        .values_list("pk", flat=True)
        .first()
    )
    if invited is None:
        return None
    raw, digest = new_token()
    minted = Invitation.objects.filter(OPEN, pk=invitation_id, expires_at__gt=now).update(
        token_hash=digest
    )
    if minted != 1:
        return None
    return settings.PORTAIL_BASE_URL + reverse("invitations:invitation-accept", args=[raw])


@transaction.atomic
def invitation_revoke(
    *, membership: Membership, actor: User | None, now: dt.datetime | None = None
) -> Invitation | None:
    """CU10: withdraw the open invitation; its link then behaves like an expired one.

    Returns the revoked invitation, or None when there was none open (already
    accepted, revoked or never sent): nothing to do, which is not an error, so
    removing a client user may always call this.
    """
    now = now or timezone.now()
    membership = _lock(membership)
    invitation = Invitation.objects.filter(OPEN, membership=membership).first()
    if invitation is None:
        return None
    Invitation.objects.filter(OPEN, pk=invitation.pk).update(revoked_at=now)
    invitation.revoked_at = now
    audit_log(
        portal=membership.portal,
        actor=actor,
        action=INVITATION_REVOKED,
        target=invitation,
        before={"expires_at": invitation.expires_at},
        after={"revoked_at": now},
    )
    return invitation


@transaction.atomic
def removal_notice_queue(*, membership: Membership, actor: User | None) -> None:
    """CU7: tell a client user they were removed from the portal (the "let the user know" box).

    Call it inside the transaction that removes them: the email is written to
    the outbox with the change, or not at all.
    """
    user = membership.user
    email_queue(
        kind="client_removed",
        to=user.email,
        template="client_removed",
        context={"user": user, "remover": actor, "company": membership.client_company},
        language=user.language,
        portal=membership.portal,
    )


def _lock(membership: Membership, *, with_user: bool = False) -> Membership:
    """The client membership, locked for the rest of the transaction, with what emails name.

    `of=`: PostgreSQL cannot lock the nullable side of the outer join that
    select_related makes for the company. `with_user` locks the person too.
    """
    locked = (
        Membership.objects.select_for_update(of=("self", "user") if with_user else ("self",))
        .select_related("user", "portal", "client_company")
        .filter(pk=membership.pk, kind=MembershipKind.CLIENT)
        .first()
    )
    if locked is None:
        raise ValueError(f"Membership {membership.pk} is not a client user: no invitations.")
    return locked


# Accepting a link (CU4, CU8) -------------------------------------------------------------


class InvitationUnusable(Exception):
    """The link cannot be accepted (any more); `check` says why."""

    def __init__(self, check: InvitationCheck) -> None:
        super().__init__(check.status)
        self.check = check


@transaction.atomic
def invitation_accept(
    *,
    raw_token: str,
    full_name: str | None = None,
    password: str | None = None,
    user: User | None = None,
    now: dt.datetime | None = None,
) -> Membership:
    """CU4: spend the link and make the membership active; return it.

    Someone new (no usable password yet) gives their name and a password
    (errors keyed `full_name` and `password`). Someone who already has an
    account (CU8: one person across the installation) does not get a second
    one: they must be `user`, signed in. The link is spent with a conditional
    UPDATE after the membership row is locked, so of two concurrent
    submissions one wins and the other raises InvitationUnusable (used).
    """
    now = now or timezone.now()
    check = invitation_for_token(raw_token=raw_token, now=now)
    if not check.usable or check.invitation is None:
        raise InvitationUnusable(check)
    invitation = check.invitation
    invitee = invitation.membership.user
    if user is not None and (user.pk != invitee.pk or user.email != invitee.email):
        raise ValidationError(
            {NON_FIELD_ERRORS: _("This invitation is for another email address.")},
            code="other_person",
        )
    if not invitee.is_active:
        raise ValidationError(
            {NON_FIELD_ERRORS: _("This account is deactivated.")}, code="inactive"
        )
    new_person = not invitee.has_usable_password()
    if new_person:
        name = _check_new_person(invitee, full_name, password)
    elif user is None:
        raise ValidationError(
            {NON_FIELD_ERRORS: _("Sign in to your account to accept this invitation.")},
            code="sign_in",
        )
    membership = _lock(invitation.membership, with_user=True)
    spent = Invitation.objects.filter(OPEN, pk=invitation.pk, expires_at__gt=now).update(
        accepted_at=now
    )
    if spent != 1 or membership.status != MembershipStatus.INVITED:
        raise InvitationUnusable(invitation_for_token(raw_token=raw_token, now=now))
    invitation.accepted_at = now
    # The person as loaded with the lock: the one the caller gets back (and signs in).
    invitee = membership.user
    if new_person and invitee.has_usable_password():
        # They set a password meanwhile (another portal's invitation): theirs stays.
        raise ValidationError(
            {NON_FIELD_ERRORS: _("Sign in to your account to accept this invitation.")},
            code="sign_in",
        )
    if new_person:
        assert password is not None  # checked by _check_new_person
        invitee.full_name = name
        invitee.set_password(password)
        invitee.save(update_fields=["full_name", "password"])
    membership.status = MembershipStatus.ACTIVE
    membership.activated_at = now
    membership.save(update_fields=["status", "activated_at", "updated_at"])
    audit_log(
        portal=membership.portal,
        actor=invitee,
        action=INVITATION_ACCEPTED,
        target=invitation,
        before={"status": MembershipStatus.INVITED.value},
        after={
            "status": membership.status,
            "membership": membership,
            "new_account": new_person,
        },
    )
    return membership


def _check_new_person(invitee: User, full_name: str | None, password: str | None) -> str:
    errors: dict[str, Any] = {}
    name = (full_name or "").strip()
    if not name:
        errors["full_name"] = _("Enter your name.")
    elif len(name) > FULL_NAME_MAX_LENGTH:
        errors["full_name"] = _("Use at most %(count)d characters.") % {
            "count": FULL_NAME_MAX_LENGTH
        }
    if not password:
        errors["password"] = _("Choose a password.")
    else:
        # With the name as given, so a password that is the person's name is refused too.
        candidate = User(email=invitee.email, full_name=name)
        try:
            validate_password(password, candidate)
        except ValidationError as error:
            errors["password"] = error.messages
    if errors:
        raise ValidationError(errors)
    return name
