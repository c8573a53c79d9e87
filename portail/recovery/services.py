"""Getting back into an account: a single-use password-reset link, sent by email.

Above `notifications` (the link leaves through the outbox) and `accounts` (whose
people and reset tokens it works on).
"""

from __future__ import annotations

import datetime as dt
import hmac

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portail.accounts.models import PasswordResetToken, User, normalize_email
from portail.accounts.sessions import user_sessions_end
from portail.accounts.tokens import hash_token, new_token
from portail.notifications.links import LINK_PLACEHOLDER, EmailLink
from portail.notifications.services import email_queue

PASSWORD_RESET_LIFETIME = dt.timedelta(hours=2)
# One reset email per person per minute at most, however often the form is sent.
PASSWORD_RESET_MIN_INTERVAL = dt.timedelta(minutes=1)
# The outbox's name for links to a reset (registered in apps.py).
PASSWORD_RESET_LINK_KIND = "password_reset"  # noqa: S105 (a name, not a secret)


class InvalidResetLink(Exception):
    """The link is unknown, expired, or already used. Which one is not told."""


@transaction.atomic
def password_reset_request(*, email: str) -> None:
    """Email a single-use reset link to the account with this address, if there is one.

    The caller shows the same answer whether or not the address exists.
    Asking again supersedes the previous link. The link is not made here: the
    row gets the hash of a token nobody knows, and the outbox worker replaces it
    with a fresh one when it sends the email (`password_reset_link_mint`), so no
    row or log line ever holds a working link (notifications/links.py says why).
    """
    user = User.objects.select_for_update().filter(email__iexact=normalize_email(email)).first()
    if user is None or not user.is_active:
        return
    now = timezone.now()
    recent = PasswordResetToken.objects.filter(
        user=user, created_at__gt=now - PASSWORD_RESET_MIN_INTERVAL
    )
    if recent.exists():
        return
    PasswordResetToken.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
    _unknown, digest = new_token()
    reset = PasswordResetToken.objects.create(
        user=user, token_hash=digest, created_at=now, expires_at=now + PASSWORD_RESET_LIFETIME
    )
    email_queue(
        kind="password_reset",
        to=user.email,
        template="password_reset",
        context={
            "user": user,
            "reset_url": LINK_PLACEHOLDER,
            "expires_hours": int(PASSWORD_RESET_LIFETIME.total_seconds() // 3600),
        },
        language=user.language,
        link=EmailLink(PASSWORD_RESET_LINK_KIND, reset.pk),
    )


@transaction.atomic
def password_reset_link_mint(reset_id: int, now: dt.datetime) -> str | None:
    """The outbox's minter for reset emails: a fresh link, or None if it has no use.

    A new token's hash replaces the stored one with a conditional UPDATE that
    holds only while the reset is unused and unexpired and the account active:
    a reset superseded by a newer request, or spent, gets no link and its email
    is not sent. An earlier attempt's undelivered token stops working.
    """
    raw, digest = new_token()
    minted = PasswordResetToken.objects.filter(
        pk=reset_id, used_at__isnull=True, expires_at__gt=now, user__is_active=True
    ).update(token_hash=digest)
    if minted != 1:
        return None
    return settings.PORTAIL_BASE_URL + reverse("recovery:password-reset-confirm", args=[raw])


def password_reset_token_valid(*, raw_token: str) -> PasswordResetToken:
    """The live token for this link (reading only: a GET must not spend it)."""
    digest = hash_token(raw_token)
    token = (
        PasswordResetToken.objects.select_related("user")
        .filter(token_hash=digest, used_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if (
        token is None
        or not hmac.compare_digest(token.token_hash, digest)
        or not token.user.is_active
    ):
        raise InvalidResetLink
    return token


@transaction.atomic
def password_reset_complete(*, raw_token: str, new_password: str) -> User:
    """Spend the link and set the new password; a second use fails."""
    token = password_reset_token_valid(raw_token=raw_token)
    validate_password(new_password, token.user)
    spent = PasswordResetToken.objects.filter(
        pk=token.pk, used_at__isnull=True, expires_at__gt=timezone.now()
    ).update(used_at=timezone.now())
    if spent != 1:
        raise InvalidResetLink
    user = token.user
    user.set_password(new_password)
    user.save(update_fields=["password"])
    # Any other link still out there dies with this change, and so does every session
    # signed in with the old password (the person signs in afresh with the new one).
    PasswordResetToken.objects.filter(user=user, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    user_sessions_end(user=user)
    return user
