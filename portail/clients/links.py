"""The links between client companies, their people and projects (RULES PC3-PC5): the
writes that the three rule families share, below them.

`companies.py` (CC), `client_users.py` (CU) and `project_clients.py` (PC) put companies
and their client users on projects and take them off through these functions, so that
the primary mark (PC3, PC4) and a company's people leaving with it (PC5) are written
once. The public service for "make this company a client of the project" is
`project_clients.project_client_add`; `link_add` is its core, which the company pages
use too. Project membership rows themselves are written by `portail.projects.services`.

Callers hold a transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from portail.access.models import PermissionOverride
from portail.accounts.models import User
from portail.audit.services import audit_log
from portail.clients.events import (
    PROJECT_CLIENT_ADDED,
    PROJECT_CLIENT_PRIMARY_UNSET,
    PROJECT_CLIENT_REMOVED,
)
from portail.clients.models import ClientCompany, ProjectClient
from portail.clients.rates import rate_text
from portail.portals.models import Membership, Portal
from portail.projects.events import PROJECT_MEMBER_ADDED
from portail.projects.models import Project, ProjectMember, ProjectStatus
from portail.projects.services import project_member_ensure, project_members_delete


def check_projects(portal: Portal, projects: Iterable[Project]) -> list[Project]:
    """The projects, which must be the portal's and not archived (those are offered)."""
    checked = list(projects)
    for project in checked:
        if project.portal_id != portal.pk:
            raise ValidationError({"projects": _("Choose projects of this portal.")})
        if project.status == ProjectStatus.ARCHIVED:
            raise ValidationError(
                {
                    "projects": _("“%(name)s” is archived: restore it before adding a client.")
                    % {"name": project.name}
                }
            )
    return checked


def lock_project(project: Project) -> None:
    """Lock the project row: changes of its clients take turns (PC4)."""
    # filter().first() rather than get(): zeal counts repeated get()s as an N+1.
    Project.objects.select_for_update().filter(pk=project.pk).first()


# The primary mark (PC3, PC4) --------------------------------------------------------------


def primary_current(project: Project) -> ProjectClient | None:
    """The project's primary client link, locked; the caller has locked the project."""
    return (
        ProjectClient.objects.select_for_update().filter(project=project, is_primary=True).first()
    )


def primary_drop(
    previous: ProjectClient,
    *,
    portal: Portal,
    actor: User | None,
    new_primary: ClientCompany | None,
) -> None:
    """PC4: the previous primary loses the mark, first thing in the transaction where
    another company takes it (the partial unique index `clients_one_primary_per_project`
    allows one primary at a time), logged as `project_client.primary_unset`.

    `new_primary` is the company taking the mark when it is already a client
    (`project_clients.project_client_set_primary`), named in the event; a company added
    as primary (`link_add`) is named by its own `project_client.added` event instead.
    """
    previous.is_primary = False
    previous.save(update_fields=["is_primary"])
    after: dict[str, Any] = {"is_primary": False}
    if new_primary is not None:
        after["new_primary"] = new_primary
    audit_log(
        portal=portal,
        actor=actor,
        action=PROJECT_CLIENT_PRIMARY_UNSET,
        target=previous,
        before={"is_primary": True},
        after=after,
    )


# A company on a project ------------------------------------------------------------------


def link_add(
    *, project: Project, company: ClientCompany, actor: User | None, make_primary: bool | None
) -> tuple[ProjectClient, bool]:
    """Associate a company of the project's portal with the project; return the link and
    whether this call made it (an existing link is returned as it is).

    PC3: with `make_primary=None` the company becomes primary when the project has none.
    PC4: making it primary takes the mark from the previous primary in the same
    transaction. The company row, then the project row, are locked (company_update locks
    in the same order), so two concurrent first additions make one primary; the partial
    unique index refuses a second one anyway.
    """
    if company.portal_id != project.portal_id:
        raise ValidationError({"company": _("Choose a client company of this portal.")})
    live = (
        ClientCompany.objects.select_for_update()
        .filter(pk=company.pk, deleted_at__isnull=True)
        .values_list("pk", flat=True)
        .first()
    )
    if live is None:
        raise ValidationError({"company": _("This client company has been deleted.")})
    lock_project(project)
    existing = ProjectClient.objects.filter(project=project, company=company).first()
    if existing is not None:
        return existing, False
    primary = primary_current(project)
    if make_primary is None:
        make_primary = primary is None
    if make_primary and primary is not None:
        primary_drop(primary, portal=company.portal, actor=actor, new_primary=None)
    link = ProjectClient.objects.create(
        portal_id=project.portal_id, project=project, company=company, is_primary=make_primary
    )
    audit_log(
        portal=company.portal,
        actor=actor,
        action=PROJECT_CLIENT_ADDED,
        target=link,
        after={"project": project, "company": company, "is_primary": make_primary},
    )
    return link, True


def link_remove(link: ProjectClient, actor: User | None) -> None:
    """Take a company off a project; its client users leave the project (PC5).

    PC4: removing the primary client leaves the project without one until someone sets
    it; no other company is promoted.
    """
    leaving = ProjectMember.objects.filter(
        project_id=link.project_id, membership__client_company_id=link.company_id
    )
    left = [
        row.membership
        for row in leaving.select_related("membership__user").order_by("membership_id")
    ]
    # Their customisations go with their project membership; the audit event keeps them.
    customised = customisations(leaving)
    project_members_delete(members=leaving)
    before: dict[str, Any] = {
        "project": link.project,
        "company": link.company,
        "is_primary": link.is_primary,
        "client_users": left,
    }
    if customised:
        before["customisations"] = customised
    audit_log(
        portal=link.portal,
        actor=actor,
        action=PROJECT_CLIENT_REMOVED,
        target=link,
        before=before,
    )
    link.delete()


def customisations(members: QuerySet[ProjectMember]) -> dict[str, dict[str, str]]:
    """The permission overrides of these project members, by membership id (for the audit)."""
    return {
        str(membership_id): permissions
        for membership_id, permissions in PermissionOverride.objects.filter(
            member__in=members
        ).values_list("member__membership_id", "permissions")
    }


# A client user on a project --------------------------------------------------------------


def project_join(
    *, membership: Membership, project: Project, rate: Decimal | None, actor: User | None
) -> ProjectMember:
    """Put a client user on a project, at `rate`; their company becomes a client of it if
    it was not (PC3 applies: primary when the project has none)."""
    assert membership.client_company is not None
    link_add(project=project, company=membership.client_company, actor=actor, make_primary=None)
    member, created = project_member_ensure(
        project=project, membership=membership, hourly_rate=rate
    )
    if created:
        audit_log(
            portal=project.portal,
            actor=actor,
            action=PROJECT_MEMBER_ADDED,
            target=member,
            after={
                "project": project,
                "membership": membership,
                "hourly_rate": rate_text(rate),
            },
        )
    return member
