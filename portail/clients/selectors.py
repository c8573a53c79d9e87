"""Reads of client companies. Every query starts from the portal (or a company of it)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from portail.access.models import ClientProfile, PermissionOverride
from portail.accounts.models import User
from portail.accounts.selectors import person_matches
from portail.clients.models import ClientCompany, ProjectClient
from portail.portals.models import Membership, MembershipKind, MembershipStatus, Portal
from portail.projects.models import BillingMethod, Project, ProjectMember, ProjectStatus


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


def company(*, portal: Portal, company_id: int) -> ClientCompany | None:
    """A live company of the portal (None for another portal's, or a deleted one)."""
    return ClientCompany.objects.filter(
        portal=portal, pk=company_id, deleted_at__isnull=True
    ).first()


def portal_company(*, portal: Portal, company_id: int) -> ClientCompany | None:
    """A company of the portal, deleted ones included (their people are still listed);
    None for another portal's or nobody's."""
    return ClientCompany.objects.filter(portal=portal, pk=company_id).first()


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


def client_users(
    *, portal: Portal, search: str = "", company_id: int | None = None
) -> QuerySet[Membership]:
    """The portal's client users (of one company when `company_id` is given) with their
    person, company and profile, each with `project_count`, ordered by company then name;
    one query.

    People removed from the portal (deactivated) are listed too, last in their
    company, so an admin can see who left and add them back.

    The order is served by an index: the companies are read in the order of their
    (portal, name, id) index and each one's people by the membership's company index, so
    the database stops after a page instead of sorting every client user of the portal
    (20,000 at agency scale). That needs the company's portal in the filter and an inner
    join (a client user always has a company: a check constraint says so).
    """
    found = Membership.objects.filter(
        portal=portal,
        kind=MembershipKind.CLIENT,
        client_company__isnull=False,
        client_company__portal=portal,
    )
    if company_id is not None:
        found = found.filter(client_company_id=company_id)
    search = search.strip()
    if search:
        # The memberships of the people and of the companies matching, found from them
        # (a union of two index lookups), rather than the text matched on every joined
        # row: the database reads the people whose name or email matches (trigram indexes
        # on PostgreSQL, accounts migration 0004) and the companies whose name does, then
        # their memberships. At 20,000 client users on PostgreSQL: 30 -> 1-3 ms a query.
        people = User.objects.filter(person_matches(search))
        named = ClientCompany.objects.filter(portal=portal, name__icontains=search)
        of_people = Membership.objects.filter(portal=portal, user__in=people).values("pk")
        of_named = Membership.objects.filter(portal=portal, client_company__in=named)
        found = found.filter(pk__in=of_people.union(of_named.values("pk")))
    removed_last = Case(
        When(status=MembershipStatus.DEACTIVATED, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    # A subquery, not COUNT ... GROUP BY: the database counts projects for the rows of the
    # page only, after sorting and cutting, instead of for every client user of the portal.
    projects = (
        ProjectMember.objects.filter(membership=OuterRef("pk"))
        .order_by()
        .values("membership")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        found.select_related("user", "client_company", "client_profile")
        .annotate(
            project_count=Coalesce(Subquery(projects, output_field=IntegerField()), 0),
            removed_last=removed_last,
        )
        .order_by("client_company__name", "client_company__id", "removed_last", "user__email")
    )


def client_memberships(*, portal: Portal) -> QuerySet[Membership]:
    """Every client user of the portal, removed ones included: the people a form of the
    portal may name by id (forms choose among some of them)."""
    return Membership.objects.filter(portal=portal, kind=MembershipKind.CLIENT)


def profile_choices(*, portal: Portal) -> QuerySet[ClientProfile]:
    """The portal's client profiles, for a choice of one."""
    return ClientProfile.objects.filter(portal=portal)


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


# A project's clients (RULES PC1-PC8): the project's "Client users" tab -------------------

# The client users who may be put on a project: removed ones come back by email (CU7).
JOINABLE_STATUSES = (MembershipStatus.INVITED, MembershipStatus.ACTIVE)


def project_rates_apply(*, project: Project) -> bool:
    """CU9: members of a project have their own rate only when the portal invoices and the
    project bills staff hours (BI1). `project.portal` is read: load it with the project."""
    return project.portal.invoicing_enabled and project.billing_method == BillingMethod.STAFF_HOURS


@dataclass(frozen=True)
class ProjectCompany:
    """A company of the project's Client users tab and how many of its people are on the
    project. `is_client` is False for a company that is not (any more) a client of the
    project but still has people on it, shown so nobody with access is hidden."""

    company_id: int
    name: str
    is_client: bool
    is_primary: bool
    people: int


def project_client_companies(*, project: Project) -> list[ProjectCompany]:
    """The project's client companies, the primary first then by name, each with the
    number of its client users on the project, then the companies of people left on the
    project whose company is not a client any more; two queries (the links, and one
    grouped count), whatever the number of companies and people. Plain values, no model
    rows: a project of a hundred companies lists them all."""
    links = (
        ProjectClient.objects.filter(portal_id=project.portal_id, project=project)
        .order_by("-is_primary", "company__name", "company_id")
        .values_list("company_id", "company__name", "is_primary")
    )
    counts = (
        _project_client_members(project=project)
        .order_by()
        .values_list("membership__client_company_id", "membership__client_company__name")
        .annotate(people=Count("pk"))
    )
    people = {company_id: (name, n) for company_id, name, n in counts}
    listed = [
        ProjectCompany(
            company_id=company_id,
            name=name,
            is_client=True,
            is_primary=is_primary,
            people=people.pop(company_id, ("", 0))[1],
        )
        for company_id, name, is_primary in links
    ]
    strays = [
        ProjectCompany(
            company_id=company_id, name=name, is_client=False, is_primary=False, people=n
        )
        for company_id, (name, n) in people.items()
        if company_id is not None  # a client user always has a company
    ]
    return [*listed, *sorted(strays, key=lambda c: (c.name, c.company_id))]


def _project_client_members(*, project: Project) -> QuerySet[ProjectMember]:
    return ProjectMember.objects.filter(
        portal_id=project.portal_id,
        project=project,
        membership__portal_id=project.portal_id,
        membership__kind=MembershipKind.CLIENT,
    )


def project_client_members(
    *,
    project: Project,
    company: ClientCompany | None = None,
    company_id: int | None = None,
    search: str = "",
) -> QuerySet[ProjectMember]:
    """The project's client members (of `company` or `company_id` only, when given;
    matching `search` in their name, email or company's name, when given), by name, with
    their person and company, each with `is_customised` (a PermissionOverride in this
    project, PE2); one query."""
    found = _project_client_members(project=project)
    if company is not None:
        company_id = company.pk
    if company_id is not None:
        found = found.filter(membership__client_company_id=company_id)
    search = search.strip()
    if search:
        found = found.filter(
            person_matches(search, via="membership__user__")
            | Q(membership__client_company__name__icontains=search)
        )
    return (
        found.select_related("membership__user", "membership__client_company")
        .annotate(is_customised=Exists(PermissionOverride.objects.filter(member=OuterRef("pk"))))
        .order_by("membership__user__full_name", "membership__user__email", "pk")
    )


def project_client_link(*, project: Project, company_id: int) -> ProjectClient | None:
    """The project's link with this company (None for a company that is not its client)."""
    return (
        ProjectClient.objects.select_related("company")
        .filter(
            portal_id=project.portal_id,
            project=project,
            company_id=company_id,
            company__deleted_at__isnull=True,
        )
        .first()
    )


def project_client_member(*, project: Project, membership_id: int) -> ProjectMember | None:
    """The project membership of this client user of the project (None for anyone else:
    staff, another project's or portal's people)."""
    member = project_client_members(project=project).filter(membership_id=membership_id).first()
    if member is not None:
        member.project = project
    return member


def project_client_user_candidates(
    *, project: Project, company: ClientCompany, search: str = ""
) -> QuerySet[Membership]:
    """PC6: the company's client users (invited or active) who are not on the project yet,
    searchable by name or email, with their person; one query."""
    found = (
        Membership.objects.filter(
            portal_id=project.portal_id,
            kind=MembershipKind.CLIENT,
            client_company=company,
            status__in=JOINABLE_STATUSES,
        )
        .exclude(project_memberships__project=project)
        .select_related("user")
    )
    search = search.strip()
    if search:
        found = found.filter(person_matches(search, via="user__"))
    return found.order_by("user__full_name", "user__email", "pk")


def project_company_choices(*, project: Project) -> QuerySet[ClientCompany]:
    """PC1: the portal's companies that are not clients of the project yet."""
    return (
        ClientCompany.objects.filter(portal_id=project.portal_id, deleted_at__isnull=True)
        .exclude(project_links__project=project)
        .order_by("name", "id")
    )


def project_has_primary(*, project: Project) -> bool:
    return ProjectClient.objects.filter(project=project, is_primary=True).exists()
