"""Tenancy: a Portal is one organisation's space; a Membership puts a person in it."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

currency_validator = RegexValidator(
    r"^[A-Z]{3}$", _("Enter a three-letter ISO 4217 currency code, such as EUR.")
)
slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$",
    _("Use 1 to 50 lower-case letters, digits and hyphens, not starting or ending with a hyphen."),
)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class Portal(models.Model):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("address"), max_length=50, unique=True, validators=[slug_validator])
    currency = models.CharField(
        _("currency"), max_length=3, default="EUR", validators=[currency_validator]
    )
    invoicing_enabled = models.BooleanField(_("invoicing enabled"), default=False)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    # Staff must sign in with a second factor to open this portal's pages (PortalMiddleware).
    require_staff_two_factor = models.BooleanField(
        _("require two-factor sign-in for staff"), default=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("portal")
        verbose_name_plural = _("portals")

    def __str__(self) -> str:
        return self.name


class MembershipKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    CLIENT = "client", _("Client")


class StaffRole(models.TextChoices):
    ADMIN = "admin", _("Admin")
    MANAGER = "manager", _("Manager")
    EMPLOYEE = "employee", _("Employee")


class MembershipStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    ACTIVE = "active", _("Active")
    DEACTIVATED = "deactivated", _("Deactivated")


class Membership(models.Model):
    """A person in a portal: staff (with a role) or client."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="memberships")
    kind = models.CharField(_("kind"), max_length=10, choices=MembershipKind.choices)
    role = models.CharField(_("role"), max_length=10, choices=StaffRole.choices, blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=MembershipStatus.choices,
        default=MembershipStatus.ACTIVE,
    )
    # Client users only (RULES CU1): their company, their profile, their portal rate.
    # String references: portals knows neither clients nor access (DESIGN.md, layout).
    client_company = models.ForeignKey(
        "clients.ClientCompany",
        verbose_name=_("client company"),
        on_delete=models.PROTECT,
        related_name="client_users",
        null=True,
        blank=True,
    )
    client_profile = models.ForeignKey(
        "access.ClientProfile",
        verbose_name=_("client profile"),
        on_delete=models.PROTECT,
        related_name="client_users",
        null=True,
        blank=True,
    )
    hourly_rate = models.DecimalField(
        _("hourly rate"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "portal"],
                name="portals_membership_one_per_person_and_portal",
                violation_error_message=_("This person is already a member of this portal."),
            ),
            # Staff have a role; clients have none (their rights come from client profiles).
            models.CheckConstraint(
                condition=(Q(kind="staff") & ~Q(role="")) | (Q(kind="client") & Q(role="")),
                name="portals_membership_role_matches_kind",
            ),
            # A client user always has a company and a profile; staff have neither.
            models.CheckConstraint(
                condition=(
                    Q(kind="client")
                    & Q(client_company__isnull=False)
                    & Q(client_profile__isnull=False)
                )
                | (
                    Q(kind="staff")
                    & Q(client_company__isnull=True)
                    & Q(client_profile__isnull=True)
                ),
                name="portals_membership_client_has_company_and_profile",
            ),
            models.CheckConstraint(
                condition=Q(hourly_rate__isnull=True) | Q(hourly_rate__gte=0),
                name="portals_membership_rate_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.portal} ({self.role or self.kind})"

    def audit_name(self) -> str:
        """How the audit log names a person of a portal: by their email."""
        return str(self.user.email)

    @property
    def is_staff(self) -> bool:
        return self.kind == MembershipKind.STAFF

    @property
    def is_client(self) -> bool:
        return self.kind == MembershipKind.CLIENT

    @property
    def sees_all_projects(self) -> bool:
        """Admins and managers see every project of their portal (DESIGN.md)."""
        return self.is_staff and self.role in (StaffRole.ADMIN, StaffRole.MANAGER)

    @property
    def is_active(self) -> bool:
        return self.status == MembershipStatus.ACTIVE
