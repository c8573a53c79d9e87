"""What django-axes counts sign-in failures against: the person and where they are.

Both must be what an attacker cannot vary at will: the email address is
normalised (sign-in ignores case, so the lock-out must too), and the client
address is read behind exactly TRUSTED_PROXY_COUNT reverse proxies (behind a
proxy every request comes from the proxy's own address; reading further
left in X-Forwarded-For than the proxies we run would trust what the client
wrote).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.db.models import Max, Q, QuerySet, Sum
from django.http import HttpRequest
from django.utils import timezone

from portail.accounts.models import normalize_email


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    raw = (credentials or {}).get("username") or request.POST.get("username") or ""
    return normalize_email(str(raw))


def client_ip(request: HttpRequest) -> str:
    remote = str(request.META.get("REMOTE_ADDR", ""))
    proxies: int = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
        if part.strip()
    ]
    # Each trusted proxy appends the address it received from; the client is the
    # entry our outermost proxy appended.
    if len(forwarded) >= proxies:
        return forwarded[-proxies]
    return remote


class LockoutHandler(AxesDatabaseHandler):
    """The lock-out policy: three limits over the cool-off window (AXES_COOLOFF_TIME).

    1. One account from one address (AXES_FAILURE_LIMIT, default 10): someone
       guessing one person's password from one place. This is the everyday
       limit; a person who mistypes their own password is the only one it stops.
    2. One address, whatever the accounts (LOCKOUT_ADDRESS_FAILURE_LIMIT,
       default 100): someone trying many accounts from one place. It is high
       so that a shared office address, where a few people mistype their
       password now and then, is never locked; only hammering reaches it.
    3. One account, whatever the addresses (LOCKOUT_ACCOUNT_FAILURE_LIMIT,
       default 30): one password guessed from many addresses. It locks that
       account only for addresses it has never signed in from (the sign-in
       history django-axes keeps): an attacker guessing a victim's password
       from elsewhere cannot lock the victim out of their usual office or home.

    A name without an account is counted and locked exactly like a real account
    seen from an address it never signed in from, so the lock-out answer tells
    nothing about whether the account exists. A success forgets only the
    failures of that account from that address (never the address's: anyone
    with one account there could otherwise wipe them).

    Unlocking: a portal admin clears a member's failures from every address (the
    "Locked out" page, lockout:people), which ends limits 1 and 3 for them; a
    superuser can run `manage.py axes_reset_username EMAIL`, or
    `manage.py axes_reset_ip ADDRESS` for an address stopped by limit 2.
    Otherwise every lock ends an AXES_COOLOFF_TIME after the last failure.

    django-axes compares one count with one limit (AXES_FAILURE_LIMIT): the
    count answered here is the account-and-address count, raised to that limit
    when limit 2 or 3 is reached.
    """

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        pair_limit: int = settings.AXES_FAILURE_LIMIT
        pair = int(super().get_failures(request, credentials))
        if pair >= pair_limit:
            return pair
        username = get_client_username(request, credentials)
        address = request.axes_ip_address  # type: ignore[attr-defined]
        recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
        if _failures(recent.filter(ip_address=address)) >= settings.LOCKOUT_ADDRESS_FAILURE_LIMIT:
            return pair_limit
        if (
            username
            and _failures(recent.filter(username=username))
            >= settings.LOCKOUT_ACCOUNT_FAILURE_LIMIT
            and not AccessLog.objects.filter(username=username, ip_address=address).exists()
        ):
            return pair_limit
        return pair

    def reset_user_attempts(
        self, request: HttpRequest, credentials: dict[str, Any] | None = None
    ) -> int:
        """On success, forget this account's failures from this address only."""
        username = get_client_username(request, credentials)
        address = request.axes_ip_address  # type: ignore[attr-defined]
        count, _ = AccessAttempt.objects.filter(username=username, ip_address=address).delete()
        return int(count)


def _failures(attempts: QuerySet[Any]) -> int:
    return int(attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0)


def _cool_off_start() -> dt.datetime:
    cool_off: dt.timedelta = get_cool_off()
    return timezone.now() - cool_off


def locked_out_usernames(*, among: QuerySet[Any]) -> set[str]:
    """Which of these usernames (a query of normalised email addresses) are locked out
    now by their own failures: limit 1 (from one address) or limit 3 (from all)."""
    rows = (
        AccessAttempt.objects.filter(attempt_time__gte=_cool_off_start(), username__in=among)
        .values("username")
        .annotate(worst=Max("failures_since_start"), total=Sum("failures_since_start"))
        .filter(
            Q(worst__gte=settings.AXES_FAILURE_LIMIT)
            | Q(total__gte=settings.LOCKOUT_ACCOUNT_FAILURE_LIMIT)
        )
    )
    return {row["username"] for row in rows}


def signin_failures_clear(*, username: str) -> int:
    """Forget the account's sign-in failures from every address; how many were counted.

    It unlocks the account wherever limit 1 or 3 locked it (an address locked by
    limit 2 stays locked for the accounts tried from it)."""
    attempts = AccessAttempt.objects.filter(username=normalize_email(username))
    failures = _failures(attempts.filter(attempt_time__gte=_cool_off_start()))
    attempts.delete()
    return failures
