"""Reads of client companies. Every query starts from the portal (or a company of it)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from portail.clients.models import ClientCompany, ProjectClient
from portail.portals.models import Portal
from portail.projects.models import Project, ProjectStatus


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
