"""Django admin for superusers: every audit event of the installation, read-only.

Events are written by `services.audit_log` only; nobody adds, edits or deletes them here.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from portail.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    list_display = ("created_at", "portal", "actor_label", "action", "target_type", "target_label")
    list_filter = ("portal",)
    list_select_related = ("portal",)
    search_fields = ("actor_label", "action", "target_label", "target_id")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    fields = (
        "created_at",
        "portal",
        "actor",
        "actor_label",
        "action",
        "target_type",
        "target_id",
        "target_label",
        "before",
        "after",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        # The record must outlive mistakes; it goes only with its portal.
        return False
