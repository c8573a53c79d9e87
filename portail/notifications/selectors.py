"""The outbox's reads, always from a portal (an email of another portal is not found)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from portail.notifications.models import EmailStatus, OutboundEmail
from portail.portals.models import Portal


def outbox_emails(*, portal: Portal, status: str | None = None) -> QuerySet[OutboundEmail]:
    """The portal's emails, newest first, optionally of one status (bodies not loaded)."""
    emails = OutboundEmail.objects.filter(portal=portal).defer("body_text", "body_html")
    if status is not None:
        emails = emails.filter(status=status)
    return emails.order_by("-created_at", "-id")


def outbox_status_counts(*, portal: Portal) -> dict[str, int]:
    """How many of the portal's emails are in each status, in one query."""
    counts = OutboundEmail.objects.filter(portal=portal).aggregate(
        total=Count("pk"),
        **{status: Count("pk", filter=Q(status=status)) for status in EmailStatus.values},
    )
    return {key: int(value) for key, value in counts.items()}
