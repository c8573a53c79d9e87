"""The outbox's reads, always from a portal (an email of another portal is not found)."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from portail.notifications import services
from portail.notifications.models import EmailStatus, OutboundEmail
from portail.portals.models import Portal


def outbox_emails(
    *, portal: Portal, status: str | None = None, search: str = ""
) -> QuerySet[OutboundEmail]:
    """The portal's emails, newest first (bodies not loaded), optionally of one status
    and to an address containing `search`, in any case."""
    emails = OutboundEmail.objects.filter(portal=portal).defer("body_text", "body_html")
    if status is not None:
        emails = emails.filter(status=status)
    if search:
        emails = emails.filter(to__icontains=search)
    return emails.order_by("-created_at", "-id")


def outbox_status_counts(*, portal: Portal, search: str = "") -> dict[str, int]:
    """How many of the portal's emails are in each status, in one query.

    `total` and each status count the emails to an address containing `search`;
    `all_failed` counts every failed email of the portal, whatever the search.
    """
    found = Q(to__icontains=search) if search else Q()
    counts = OutboundEmail.objects.filter(portal=portal).aggregate(
        total=Count("pk", filter=found),
        all_failed=Count("pk", filter=Q(status=EmailStatus.FAILED)),
        **{status: Count("pk", filter=found & Q(status=status)) for status in EmailStatus.values},
    )
    return {key: int(value) for key, value in counts.items()}


class OverdueSummary(NamedTuple):
    number: int  # how many emails
    since: dt.datetime | None  # when the oldest of them was due


def overdue_after() -> dt.timedelta:
    """How long a due email may stay queued before the worker is presumed down.

    The reaper's threshold for a lost task: past it, even a reaped email would
    have been sent again if a worker were running.
    """
    return services.REAP_LOST_AFTER


def overdue_summary(*, portal: Portal, now: dt.datetime | None = None) -> OverdueSummary:
    """The portal's queued emails due for longer than `overdue_after()`, in one query."""
    now = now or timezone.now()
    overdue = OutboundEmail.objects.filter(
        portal=portal, status=EmailStatus.QUEUED, next_attempt_at__lt=now - overdue_after()
    ).aggregate(count=Count("pk"), since=Min("next_attempt_at"))
    return OverdueSummary(number=int(overdue["count"]), since=overdue["since"])
