"""The outbox: every email is a row here first, written in the transaction
that causes it; the worker sends it. The row, not the task queue, is the
source of truth for whether and when a message goes out (DESIGN.md, "Bad
input, faults and load"): `services.py` writes and re-queues rows,
`delivery.py` makes one attempt at sending a row."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EmailStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # Not sent on purpose: the link it was to carry no longer has anything to open
    # (the invitation was withdrawn, replaced, accepted or has expired; the reset was used).
    CANCELLED = "cancelled", _("Cancelled")


class OutboundEmail(models.Model):
    # The portal the message belongs to, when it belongs to one (password resets don't).
    portal = models.ForeignKey(
        "portals.Portal",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("portal"),
    )
    kind = models.CharField(_("kind"), max_length=60)
    to = models.EmailField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text body"))
    body_html = models.TextField(_("HTML body"), blank=True)
    # An email with a working link stores no link: its bodies hold links.LINK_PLACEHOLDER,
    # and the worker makes the link from this reference when sending (see links.py).
    link_kind = models.CharField(_("link kind"), max_length=40, blank=True)
    link_ref = models.PositiveBigIntegerField(_("link reference"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=5)
    status = models.CharField(
        _("status"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.QUEUED
    )
    # Counts claims: one per attempt at sending, including the one in flight.
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Why the last attempt failed: the SMTP server's answer or the network error.
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")
        indexes = [
            # The worker's and the reaper's questions: what is due, what is stuck.
            models.Index(fields=["status", "next_attempt_at"]),
            # The outbox page: a portal's emails, newest first, optionally by status.
            models.Index(fields=["portal", "status", "-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=EmailStatus.values),
                name="notifications_email_status_valid",
            ),
            models.CheckConstraint(
                condition=(Q(status="sent") & Q(sent_at__isnull=False))
                | (~Q(status="sent") & Q(sent_at__isnull=True)),
                name="notifications_email_sent_at_matches_status",
            ),
            models.CheckConstraint(
                condition=(Q(link_kind="") & Q(link_ref__isnull=True))
                | (~Q(link_kind="") & Q(link_ref__isnull=False)),
                name="notifications_email_link_kind_and_ref_together",
            ),
            # A row in flight says since when, so the reaper can tell when it is stuck.
            models.CheckConstraint(
                condition=~Q(status="sending") | Q(claimed_at__isnull=False),
                name="notifications_email_sending_is_claimed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to} ({self.status})"
