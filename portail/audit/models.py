"""Who changed what access, when: one row per change, never edited or deleted by the app."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    portal = models.ForeignKey(
        "portals.Portal", on_delete=models.CASCADE, related_name="audit_events"
    )
    # The person who acted; kept as text too, so the record survives their account.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    actor_label = models.CharField(_("who"), max_length=300, blank=True)
    # A dotted key, e.g. "client_company.created", "client_user.invited".
    action = models.CharField(_("what"), max_length=80)
    target_type = models.CharField(_("target type"), max_length=60)
    target_id = models.CharField(_("target id"), max_length=40, blank=True)
    target_label = models.CharField(_("target"), max_length=300, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(_("after"), null=True, blank=True, encoder=DjangoJSONEncoder)
    # The rows that `before` and `after` hold ids of, named as they were when the change was
    # made: {"company": {"type": "clients.clientcompany", "rows": {"5": "Bowman"}}}. The
    # log reads these names, so a renamed or deleted row still reads as it was.
    names = models.JSONField(_("names"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["portal", "-created_at"]),
            models.Index(fields=["portal", "action", "-created_at"]),
            models.Index(fields=["portal", "actor", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_label} by {self.actor_label}"
