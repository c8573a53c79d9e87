"""Django admin for superusers: a window on the rows, for support and repair.

The staff pages go through services; the admin edits rows directly, so it
checks only what the models and database constraints check.
"""

from __future__ import annotations

from django.contrib import admin

from portail.projects.models import Milestone, Project, ProjectMember, Task


class ProjectMemberInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ProjectMember
    extra = 0
    raw_id_fields = ("membership",)
    fields = ("membership", "hourly_rate", "created_at")
    readonly_fields = ("created_at",)


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "portal", "status", "billing_method", "owner", "start_date", "end_date")
    list_filter = ("status", "billing_method", "portal")
    list_select_related = ("portal", "owner__user", "owner__portal")
    search_fields = ("name", "portal__name", "portal__slug")
    raw_id_fields = ("owner",)
    readonly_fields = ("archived_at", "created_at", "updated_at")
    date_hierarchy = "created_at"
    inlines = (ProjectMemberInline,)


@admin.register(ProjectMember)
class ProjectMemberAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("membership", "project", "portal", "hourly_rate", "created_at")
    list_filter = ("portal",)
    list_select_related = ("membership__user", "membership__portal", "project", "portal")
    search_fields = ("project__name", "membership__user__email", "membership__user__full_name")
    raw_id_fields = ("project", "membership")


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("title", "project", "portal", "start_date", "due_date", "closed_at")
    list_filter = ("portal", ("closed_at", admin.EmptyFieldListFilter))
    list_select_related = ("project", "portal")
    search_fields = ("title", "project__name")
    raw_id_fields = ("project",)
    readonly_fields = ("created_at", "updated_at")


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("title", "project", "milestone", "status", "assignee", "due_date", "portal")
    list_filter = ("status", "portal")
    list_select_related = ("project", "milestone", "assignee__user", "assignee__portal", "portal")
    search_fields = ("title", "project__name", "assignee__user__email")
    raw_id_fields = ("project", "milestone", "assignee", "created_by")
    readonly_fields = ("completed_at", "created_at", "updated_at")
