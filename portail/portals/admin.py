"""Django admin for superusers: portals and who is in them.

Day-to-day people management happens in the portal's own pages; this is the
installation owner's view across portals.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from portail.portals.models import Membership, MembershipStatus, Portal
from portail.portals.services import sessions_end_if_no_portal_left


class MembershipInline(admin.TabularInline[Membership, Portal]):
    """The portal's people, read-only: each row links to its membership page to edit."""

    model = Membership
    extra = 0
    can_delete = False
    fields = ("user", "kind", "role", "status", "created_at")
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("user", "portal")

    def has_add_permission(self, request: HttpRequest, obj: Portal | None = None) -> bool:
        return False


@admin.register(Portal)
class PortalAdmin(admin.ModelAdmin[Portal]):
    list_display = ("name", "slug", "currency", "time_zone", "invoicing_enabled", "created_at")
    list_filter = ("invoicing_enabled", "currency")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at",)
    inlines = (MembershipInline,)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ("user", "portal", "kind", "role", "status", "created_at")
    list_filter = ("kind", "role", "status", "portal")
    search_fields = ("user__email", "user__full_name", "portal__name", "portal__slug")
    list_select_related = ("user", "portal")
    raw_id_fields = ("user",)
    autocomplete_fields = ("portal",)
    readonly_fields = ("created_at", "updated_at", "activated_at", "deactivated_at")

    def save_model(
        self, request: HttpRequest, obj: Membership, form: ModelForm[Membership], change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        if obj.status == MembershipStatus.DEACTIVATED and "status" in form.changed_data:
            sessions_end_if_no_portal_left(user=obj.user)
