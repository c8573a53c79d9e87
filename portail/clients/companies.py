"""Client companies (RULES CC1-CC4): one transaction each, audited.

Services trust their caller for permissions (views ask `portail.access`), but
not for tenancy: every project handed in must belong to the company's portal,
and `ValidationError` names the field that is wrong. A company's projects are
set through `links.py`, as from the project's page (`project_clients.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from portail.accounts.models import User
from portail.audit.services import audit_log
from portail.clients.events import (
    CLIENT_COMPANY_CREATED,
    CLIENT_COMPANY_DELETED,
    CLIENT_COMPANY_UPDATED,
)
from portail.clients.links import check_projects, link_add, link_remove
from portail.clients.models import ClientCompany, ProjectClient
from portail.portals.models import Portal
from portail.projects.models import Project
from portail.unique_names import same_name, save_unique

COMPANY_FIELDS = (
    "name",
    "contact_email",
    "website",
    "street",
    "city",
    "region",
    "postal_code",
    "country",
)
# Fields stored without surrounding spaces.
_STRIPPED = ("name", "contact_email", "website", "street", "city", "region", "postal_code")


def _existing_named(portal: Portal, name: str, exclude_pk: int | None) -> ClientCompany | None:
    """The live company of the portal whose name matches `name` as CC2 compares them
    (the expression of the constraint `clients_company_name_unique_in_portal`)."""
    return same_name(
        ClientCompany.objects.filter(portal=portal, deleted_at__isnull=True),
        name,
        exclude_pk=exclude_pk,
    )


def _name_taken(existing: ClientCompany) -> ValidationError:
    return ValidationError(
        {"name": _("A client company named “%(name)s” already exists.") % {"name": existing.name}}
    )


def _validate(company: ClientCompany) -> None:
    """Field validators (email, web address, country, lengths) and CC2, as one error by field."""
    errors: dict[str, list[str]] = {}
    try:
        # The name constraint is checked below, with a message naming the company.
        company.full_clean(exclude=["portal"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        errors = error.message_dict
    if not company.name:
        errors["name"] = [_("Give the company a name.")]
    elif "name" not in errors:
        existing = _existing_named(company.portal, company.name, company.pk)
        if existing is not None:
            errors.update(_name_taken(existing).message_dict)
    if errors:
        raise ValidationError(errors)


def _save(company: ClientCompany) -> None:
    """Save; a concurrent request that took the name first gets the same error as the check."""
    save_unique(
        company,
        existing=lambda: _existing_named(company.portal, company.name, company.pk),
        taken=_name_taken,
    )


def _snapshot(company: ClientCompany) -> dict[str, Any]:
    values = {field: getattr(company, field) for field in COMPANY_FIELDS}
    values["country"] = company.country.code or ""
    return values


def _pk(row: Project) -> int:
    return row.pk


def _links(company: ClientCompany) -> QuerySet[ProjectClient]:
    """The company's project links, with what `link_remove` logs (no query per link)."""
    return ProjectClient.objects.filter(company=company).select_related(
        "portal", "project", "company"
    )


def _projects(company: ClientCompany) -> list[Project]:
    """The company's projects, for the log (by id, each with its name)."""
    links = ProjectClient.objects.filter(company=company).select_related("project")
    return sorted((link.project for link in links), key=_pk)


def _lock_live(company: ClientCompany) -> ClientCompany:
    # filter().first() rather than get(): zeal counts repeated get()s as an N+1.
    locked = (
        ClientCompany.objects.select_for_update()
        .select_related("portal")
        .filter(pk=company.pk, deleted_at__isnull=True)
        .first()
    )
    if locked is None:
        raise ValidationError({NON_FIELD_ERRORS: _("This client company has been deleted.")})
    return locked


@transaction.atomic
def company_create(
    *,
    portal: Portal,
    actor: User | None,
    name: str,
    contact_email: str = "",
    website: str = "",
    street: str = "",
    city: str = "",
    region: str = "",
    postal_code: str = "",
    country: str = "",
    projects: Iterable[Project] = (),
) -> ClientCompany:
    """CC1: add a client company, associated with `projects` (the first company of a
    project becomes its primary client, PC3)."""
    company = ClientCompany(
        portal=portal,
        name=name.strip(),
        contact_email=contact_email.strip(),
        website=website.strip(),
        street=street.strip(),
        city=city.strip(),
        region=region.strip(),
        postal_code=postal_code.strip(),
        country=country,
    )
    chosen = check_projects(portal, projects)
    _validate(company)
    _save(company)
    audit_log(
        portal=portal,
        actor=actor,
        action=CLIENT_COMPANY_CREATED,
        target=company,
        after=_snapshot(company) | {"projects": sorted(chosen, key=_pk)},
    )
    for project in chosen:
        link_add(project=project, company=company, actor=actor, make_primary=None)
    return company


@transaction.atomic
def company_update(*, company: ClientCompany, actor: User | None, **changes: Any) -> ClientCompany:
    """CC3: change any of COMPANY_FIELDS, and the set of projects (`projects=`).

    Projects no longer in the set lose the company; when it was their primary
    client, they are left without one until someone sets it (PC4, no silent
    promotion).
    """
    unknown = set(changes) - {*COMPANY_FIELDS, "projects"}
    if unknown:
        raise TypeError(f"company_update got unknown fields: {sorted(unknown)}")
    company = _lock_live(company)
    new_projects = changes.pop("projects", None)
    before = _snapshot(company)
    for field, value in changes.items():
        setattr(company, field, value.strip() if field in _STRIPPED else value)
    after = _snapshot(company)
    changed = [field for field in COMPANY_FIELDS if before[field] != after[field]]
    if changed:
        _validate(company)
        _save(company)
    audit_before = {field: before[field] for field in changed}
    audit_after = {field: after[field] for field in changed}

    if new_projects is not None:
        wanted = {p.pk: p for p in new_projects}
        links = list(_links(company))
        current = {link.project_id for link in links}
        added = check_projects(company.portal, (p for pk, p in wanted.items() if pk not in current))
        removed = [link for link in links if link.project_id not in wanted]
        for link in removed:
            link_remove(link, actor)
        for project in added:
            link_add(project=project, company=company, actor=actor, make_primary=None)
        if added or removed:
            audit_before["projects"] = sorted((link.project for link in links), key=_pk)
            audit_after["projects"] = [wanted[pk] for pk in sorted(wanted)]

    if audit_after or audit_before:
        audit_log(
            portal=company.portal,
            actor=actor,
            action=CLIENT_COMPANY_UPDATED,
            target=company,
            before=audit_before,
            after=audit_after,
        )
    return company


@transaction.atomic
def company_delete(*, company: ClientCompany, actor: User | None) -> None:
    """CC4: hide the company and take it off its projects; the row stays for history.

    Time logs and invoices keep the company's name as it was; its client users
    lose access to every project with the links (nothing else to do here yet).
    """
    company = _lock_live(company)
    audit_log(
        portal=company.portal,
        actor=actor,
        action=CLIENT_COMPANY_DELETED,
        target=company,
        before=_snapshot(company) | {"projects": _projects(company)},
    )
    for link in _links(company):
        link_remove(link, actor)
    company.deleted_at = timezone.now()
    company.save(update_fields=["deleted_at", "updated_at"])
