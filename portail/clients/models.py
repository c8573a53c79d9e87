"""Client companies and the projects they are associated with (RULES CC1-CC4, PC3-PC4).

`ProjectClient` lives here rather than in `projects`: clients sit above projects
(client users will be put on projects), so projects must never import clients.
Every row carries portal_id (DESIGN.md, multi-tenancy).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower, Trim
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


class ClientCompany(models.Model):
    portal = models.ForeignKey(
        "portals.Portal", on_delete=models.CASCADE, related_name="client_companies"
    )
    name = models.CharField(_("name"), max_length=200)
    contact_email = models.EmailField(_("contact email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    street = models.CharField(_("street"), max_length=300, blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    region = models.CharField(_("state/region"), max_length=120, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = CountryField(_("country"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # CC4: a deleted company is kept (time logs and invoices name it), hidden everywhere else.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("client company")
        verbose_name_plural = _("client companies")
        indexes = [
            # The client-users list reads companies in this order, then each one's people
            # (selectors.client_users): a page without sorting every client user.
            models.Index(fields=["portal", "name", "id"], name="clients_company_by_name"),
        ]
        constraints = [
            # CC2: one live company per name in a portal, ignoring case and surrounding spaces.
            # services.company_create/update check first to name the existing company.
            models.UniqueConstraint(
                F("portal"),
                Lower(Trim("name")),
                condition=Q(deleted_at__isnull=True),
                name="clients_company_name_unique_in_portal",
                violation_error_message=_("A client company with this name already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class ProjectClient(models.Model):
    """A client company associated with a project; at most one is the primary client (PC2-PC4)."""

    portal = models.ForeignKey("portals.Portal", on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="client_links"
    )
    company = models.ForeignKey(
        ClientCompany, on_delete=models.CASCADE, related_name="project_links"
    )
    is_primary = models.BooleanField(_("primary client"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-is_primary", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "company"],
                name="clients_company_once_per_project",
                violation_error_message=_("This company is already a client of the project."),
            ),
            # PC4: a partial unique index, so the database refuses a second primary.
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(is_primary=True),
                name="clients_one_primary_per_project",
                violation_error_message=_("The project already has a primary client."),
            ),
        ]

    def __str__(self) -> str:
        return f"company {self.company_id} on project {self.project_id}"

    def audit_name(self) -> str:
        """How the audit log names a client of a project: the company and the project."""
        return f"{self.company.name} · {self.project.name}"


class Invitation(models.Model):
    """An invitation of a client user to a portal (RULES CU2-CU4, CU10).

    Only the SHA-256 hash of the token is stored. A membership has at most one
    open invitation (not accepted, revoked or superseded): a re-invitation
    supersedes the previous one in the same transaction, and the partial unique
    index refuses a second open one.
    """

    portal = models.ForeignKey("portals.Portal", on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(
        "portals.Membership", on_delete=models.CASCADE, related_name="invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [models.Index(fields=["membership", "-created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["membership"],
                condition=Q(
                    accepted_at__isnull=True, revoked_at__isnull=True, superseded_at__isnull=True
                ),
                name="clients_one_open_invitation_per_membership",
            ),
        ]

    def __str__(self) -> str:
        return f"invitation {self.pk} of membership {self.membership_id}"

    def audit_name(self) -> str:
        """How the audit log names an invitation: by the email of the person invited."""
        return str(self.membership.user.email)
