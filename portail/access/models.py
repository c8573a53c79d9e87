"""Client profiles: named permission sets for client users, set at portal level (PE1).

A profile stores a permission set as JSON, `{"tasks.edit": "own", ...}`; every
code comes from `portail.access.catalogue`, and a code missing from the stored
set means `none` (so a module added to the catalogue later starts closed).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower, Trim
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ClientProfile(models.Model):
    portal = models.ForeignKey(
        "portals.Portal", on_delete=models.CASCADE, related_name="client_profiles"
    )
    name = models.CharField(_("name"), max_length=100)
    permissions = models.JSONField(_("permissions"), default=dict)
    # The portal's default profile for new client users (CU5); exactly one per portal.
    is_default = models.BooleanField(_("default profile"), default=False)
    # The built-in "Client" profile, created with every portal; it cannot be deleted.
    is_builtin = models.BooleanField(_("built-in"), default=False, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_builtin", "name", "id"]
        verbose_name = _("client profile")
        verbose_name_plural = _("client profiles")
        constraints = [
            models.UniqueConstraint(
                F("portal"),
                Lower(Trim("name")),
                name="access_profile_name_unique_in_portal",
                violation_error_message=_("A client profile with this name already exists."),
            ),
            models.UniqueConstraint(
                fields=["portal"],
                condition=Q(is_default=True),
                name="access_one_default_profile_per_portal",
            ),
            models.UniqueConstraint(
                fields=["portal"],
                condition=Q(is_builtin=True),
                name="access_one_builtin_profile_per_portal",
            ),
        ]

    def __str__(self) -> str:
        return self.name


# Stored in the portal's language of creation is not possible for a name users can
# rename; the built-in profile is created as "Client" (the same word in French).
BUILTIN_PROFILE_NAME = "Client"


class PermissionOverride(models.Model):
    """A client user's customised permissions in one project (PE2).

    A full permission set that replaces their profile's in that project only;
    deleting it (PE4) reverts them to the profile. It belongs to the project
    membership, so taking the person off the project (PC5, PC8) removes it too;
    the audit log keeps what it was.
    """

    portal = models.ForeignKey("portals.Portal", on_delete=models.CASCADE, related_name="+")
    member = models.OneToOneField(
        "projects.ProjectMember", on_delete=models.CASCADE, related_name="permission_override"
    )
    permissions = models.JSONField(_("permissions"), default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("permission customisation")
        verbose_name_plural = _("permission customisations")

    def __str__(self) -> str:
        return f"customised permissions of project member {self.member_id}"

    def audit_name(self) -> str:
        """How the audit log names a customisation: its person and project."""
        return f"{self.member.membership.user.email} · {self.member.project.name}"
