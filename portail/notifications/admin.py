"""Django admin for superusers: every outbox row of the installation, read-only.

A row's bodies hold no working link: an invitation or reset email shows the
placeholder where its link goes, made only when sending (links.py).

Rows are written by `services.email_queue` and changed by the worker; the one
action here is the admins' "send again" for failed rows (`outbox_retry`).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portail.notifications import services
from portail.notifications.models import EmailStatus, OutboundEmail


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin[OutboundEmail]):
    list_display = (
        "created_at",
        "to",
        "subject",
        "kind",
        "portal",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("status", "kind", "language", "portal")
    list_select_related = ("portal",)
    search_fields = ("to", "subject")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    fields = (
        "portal",
        "kind",
        "to",
        "language",
        "subject",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "link_kind",
        "link_ref",
        "body_text",
        "body_html",
    )
    readonly_fields = fields
    actions = ("retry_failed",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutboundEmail | None = None) -> bool:
        # Viewing only: rows change through the services, never by hand.
        return False

    @admin.action(description=_("Send the selected failed emails again"))
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[OutboundEmail]) -> None:
        retried = 0
        for email in queryset.filter(status=EmailStatus.FAILED):
            try:
                services.outbox_retry(email=email)
            except ValidationError:
                continue  # no longer failed: someone retried it meanwhile
            retried += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d email will be sent again.",
                "%(count)d emails will be sent again.",
                retried,
            )
            % {"count": retried},
            messages.SUCCESS if retried else messages.WARNING,
        )
