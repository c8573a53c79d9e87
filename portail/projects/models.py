"""Projects, their staff members, milestones and tasks.

Every row carries portal_id (DESIGN.md, multi-tenancy) so that every query can
start from the tenant; services set it from the project, never from input.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ProjectStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ON_HOLD = "on_hold", _("On hold")
    COMPLETED = "completed", _("Completed")
    ARCHIVED = "archived", _("Archived")


class BillingMethod(models.TextChoices):
    """RULES BI1."""

    NOT_BILLABLE = "not_billable", _("Not billable")
    FIXED_COST = "fixed_cost", _("Fixed cost")
    PROJECT_HOURS = "project_hours", _("Project hours (one project rate)")
    STAFF_HOURS = "staff_hours", _("Staff hours (each member's project rate)")


RATE_DIGITS = 10
RATE_DECIMALS = 2


class Project(models.Model):
    portal = models.ForeignKey("portals.Portal", on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ProjectStatus.choices, default=ProjectStatus.ACTIVE
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    billing_method = models.CharField(
        _("billing method"),
        max_length=16,
        choices=BillingMethod.choices,
        default=BillingMethod.NOT_BILLABLE,
    )
    hourly_rate = models.DecimalField(
        _("project hourly rate"),
        max_digits=RATE_DIGITS,
        decimal_places=RATE_DECIMALS,
        null=True,
        blank=True,
    )
    fixed_cost = models.DecimalField(
        _("fixed cost"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    owner = models.ForeignKey(
        "portals.Membership",
        on_delete=models.PROTECT,
        related_name="owned_projects",
        verbose_name=_("owner"),
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="projects_project_ends_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
            # The project rate exists exactly when the project bills project hours (BI1).
            models.CheckConstraint(
                condition=(Q(billing_method="project_hours") & Q(hourly_rate__gte=0))
                | (~Q(billing_method="project_hours") & Q(hourly_rate__isnull=True)),
                name="projects_project_rate_matches_billing",
            ),
            models.CheckConstraint(
                condition=(Q(billing_method="fixed_cost") & Q(fixed_cost__gte=0))
                | (~Q(billing_method="fixed_cost") & Q(fixed_cost__isnull=True)),
                name="projects_project_fixed_cost_matches_billing",
            ),
        ]
        indexes = [models.Index(fields=["portal", "status"])]

    def __str__(self) -> str:
        return self.name


class ProjectMember(models.Model):
    """A person of the portal who works on (staff) or follows (client) a project."""

    portal = models.ForeignKey("portals.Portal", on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="members")
    membership = models.ForeignKey(
        "portals.Membership", on_delete=models.CASCADE, related_name="project_memberships"
    )
    hourly_rate = models.DecimalField(
        _("hourly rate on this project"),
        max_digits=RATE_DIGITS,
        decimal_places=RATE_DECIMALS,
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "membership"],
                name="projects_member_once_per_project",
                violation_error_message=_("This person is already a member of the project."),
            ),
            models.CheckConstraint(
                condition=Q(hourly_rate__isnull=True) | Q(hourly_rate__gte=0),
                name="projects_member_rate_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} in project {self.project_id}"

    def audit_name(self) -> str:
        """How the audit log names a person on a project: their email and the project."""
        return f"{self.membership.user.email} · {self.project.name}"


class Milestone(models.Model):
    portal = models.ForeignKey("portals.Portal", on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # CX3: internal unless staff show it to the project's client users.
    client_visible = models.BooleanField(_("visible to clients"), default=False)
    created_by = models.ForeignKey(
        "portals.Membership",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="created_milestones",
    )
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(due_date__isnull=True)
                | Q(due_date__gte=F("start_date")),
                name="projects_milestone_due_after_start",
                violation_error_message=_("The due date cannot be before the start date."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


class Task(models.Model):
    portal = models.ForeignKey("portals.Portal", on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    milestone = models.ForeignKey(
        Milestone,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("milestone"),
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    assignee = models.ForeignKey(
        "portals.Membership",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tasks",
        verbose_name=_("assignee"),
    )
    created_by = models.ForeignKey(
        "portals.Membership",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="created_tasks",
    )
    # CX3: internal unless staff show it to the project's client users; a task a client
    # adds is visible (they added it).
    client_visible = models.BooleanField(_("visible to clients"), default=False)
    position = models.PositiveIntegerField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["project", "status"]),
            models.Index(fields=["milestone", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="done") & Q(completed_at__isnull=False))
                | (~Q(status="done") & Q(completed_at__isnull=True)),
                name="projects_task_completed_at_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.status == TaskStatus.DONE

    @property
    def is_overdue(self) -> bool:
        """Open and past its due date, in the current (the portal's) time zone."""
        return (
            not self.is_done and self.due_date is not None and self.due_date < timezone.localdate()
        )
