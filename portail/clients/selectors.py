"""Reads of client companies. Every query starts from the portal (or a company of it)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When

from portail.clients.models import ClientCompany, ProjectClient
from portail.portals.models import Membership, MembershipKind, MembershipStatus, Portal
from portail.projects.models import Project, ProjectMember, ProjectStatus


def companies(*, portal: Portal, search: str = "") -> QuerySet[ClientCompany]:
    """The portal's client companies (not deleted), each with `project_count`; one query."""
    found = ClientCompany.objects.filter(portal=portal, deleted_at__isnull=True)
    search = search.strip()
    if search:
        found = found.filter(
            Q(name__icontains=search)
            | Q(city__icontains=search)
            | Q(contact_email__icontains=search)
        )
    return found.annotate(project_count=Count("project_links")).order_by("name", "id")


def company_projects(*, company: ClientCompany) -> QuerySet[Project]:
    """The projects the company is a client of, each with `is_primary_client`."""
    return (
        Project.objects.filter(portal_id=company.portal_id, client_links__company=company)
        .annotate(
            is_primary_client=Exists(
                ProjectClient.objects.filter(
                    project=OuterRef("pk"), company=company, is_primary=True
                )
            )
        )
        .order_by("name", "id")
    )


def project_choices(*, portal: Portal, company: ClientCompany | None = None) -> QuerySet[Project]:
    """Projects a company may be associated with: the portal's not-archived projects, plus
    those the company already has (so editing it does not drop an archived one)."""
    condition = ~Q(status=ProjectStatus.ARCHIVED)
    if company is not None:
        condition |= Q(client_links__company=company)
    return Project.objects.filter(condition, portal=portal).distinct().order_by("name", "id")


@dataclass(frozen=True)
class DeleteImpact:
    """What deleting a company changes (CC4), for its confirmation page."""

    projects: list[Project]  # each with is_primary_client

    @property
    def left_without_primary(self) -> list[Project]:
        return [p for p in self.projects if getattr(p, "is_primary_client", False)]


def company_delete_impact(*, company: ClientCompany) -> DeleteImpact:
    return DeleteImpact(projects=list(company_projects(company=company)))


def client_users(*, portal: Portal, search: str = "") -> QuerySet[Membership]:
    """The portal's client users with their person, company and profile, each with
    `project_count`, ordered by company then name; one query.

    People removed from the portal (deactivated) are listed too, last in their
    company, so an admin can see who left and add them back.
    """
    found = Membership.objects.filter(portal=portal, kind=MembershipKind.CLIENT)
    search = search.strip()
    if search:
        found = found.filter(
            Q(user__full_name__icontains=search)
            | Q(user__email__icontains=search)
            | Q(client_company__name__icontains=search)
        )
    removed_last = Case(
        When(status=MembershipStatus.DEACTIVATED, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return (
        found.select_related("user", "client_company", "client_profile")
        .annotate(project_count=Count("project_memberships"), removed_last=removed_last)
        .order_by("client_company__name", "client_company_id", "removed_last", "user__email")
    )


def client_user(*, portal: Portal, membership_id: int) -> Membership | None:
    """One client user of the portal (another portal's, or staff, is None)."""
    return (
        Membership.objects.select_related("user", "client_company", "client_profile", "portal")
        .filter(portal=portal, kind=MembershipKind.CLIENT, pk=membership_id)
        .first()
    )


def client_user_projects(*, membership: Membership) -> QuerySet[ProjectMember]:
    """The client user's projects (their project membership rows, with the project)."""
    return (
        ProjectMember.objects.filter(portal_id=membership.portal_id, membership=membership)
        .select_related("project")
        .order_by("project__name", "project_id")
    )


def project_choices_for_client_user(*, membership: Membership) -> QuerySet[Project]:
    """Current projects of the portal the client user is not on yet (CU6 "assign more")."""
    return (
        Project.objects.filter(portal_id=membership.portal_id)
        .exclude(status=ProjectStatus.ARCHIVED)
        .exclude(members__membership=membership)
        .order_by("name", "id")
    )
