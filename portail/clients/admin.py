"""Django admin for superusers: a window on the rows, for support and repair.

The staff pages go through services; the admin edits rows directly, so it
checks only what the models and database constraints check.
"""

from __future__ import annotations

from django.contrib import admin

from portail.clients.models import ClientCompany, ProjectClient


class ProjectClientInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ProjectClient
    extra = 0
    raw_id_fields = ("project",)
    fields = ("project", "is_primary", "created_at")
    readonly_fields = ("created_at",)


@admin.register(ClientCompany)
class ClientCompanyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "portal", "city", "country", "contact_email", "deleted_at")
    list_filter = ("portal", ("deleted_at", admin.EmptyFieldListFilter))
    list_select_related = ("portal",)
    search_fields = ("name", "city", "contact_email", "portal__name", "portal__slug")
    readonly_fields = ("created_at", "updated_at", "deleted_at")
    inlines = (ProjectClientInline,)


@admin.register(ProjectClient)
class ProjectClientAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("company", "project", "portal", "is_primary", "created_at")
    list_filter = ("portal", "is_primary")
    list_select_related = ("company", "project", "portal")
    search_fields = ("company__name", "project__name")
    raw_id_fields = ("project", "company")
