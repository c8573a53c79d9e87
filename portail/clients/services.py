"""Changes to client companies and their projects: one transaction each, audited.

Services trust their caller for permissions (views ask `portail.access`), but
not for tenancy: every project handed in must belong to the company's portal,
and `ValidationError` names the field that is wrong.

A project's clients (PC1-PC8), from the project's "Client users" tab: a client
user can only be put on a project whose clients include their company. The
project-level "add users" (`project_client_users_add`) is offered per company
of the project and refuses anyone of another company with a message telling
staff to add that company to the project first; it never adds the company by
itself. (The portal-level pages, CU1/CU5/CU6, choose projects for a person, and
there the company joins the project with them, `_project_join`.)
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Lower, Trim
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from portail.access.models import ClientProfile, PermissionOverride
from portail.access.profiles import client_profile_builtin
from portail.accounts.models import User
from portail.audit.services import audit_log
from portail.clients.invitations import invitation_revoke, invitation_send, removal_notice_queue
from portail.clients.models import ClientCompany, ProjectClient
from portail.notifications.services import email_queue
from portail.portals.models import Membership, MembershipKind, MembershipStatus, Portal
from portail.portals.services import sessions_end_if_no_portal_left, user_for_email
from portail.projects.models import (
    RATE_DECIMALS,
    RATE_DIGITS,
    BillingMethod,
    Project,
    ProjectMember,
    ProjectStatus,
)

# How much one request may ask (README "Operations"): each person added costs a few dozen
# queries and an invitation (about 50 ms), and each project they join a dozen more (about
# 15 ms), so a request past these would outlast gunicorn's timeout (30 s) and end in a
# bare 500 with nothing saved. The forms say the same before anything is looked up; the
# services hold the rule for every other caller. A place is one person on one project.
# Measured through the pages on the 2-core machine while it ran other tests
# (benchmarks/request_caps.py): 100 people on 10 projects (1,000 places) took 17 s on
# SQLite and 23 s on PostgreSQL, too near the timeout; at these limits the largest request
# (100 people on 3 projects) takes 4 to 6 s on SQLite and 6 to 8.5 s on PostgreSQL.
MAX_PEOPLE_PER_REQUEST = 100
MAX_PROJECTS_PER_REQUEST = 20
MAX_PROJECT_PLACES_PER_REQUEST = 300


def _count(number: int) -> str:
    """1,600 in English, 1 600 in French."""
    return formats.number_format(number, force_grouping=True)


def too_many_people(count: int, *, entered: bool = True) -> str:
    """The refusal of more than MAX_PEOPLE_PER_REQUEST people in one request."""
    values = {"limit": _count(MAX_PEOPLE_PER_REQUEST), "count": _count(count)}
    if entered:
        return (
            _("At most %(limit)s people at once: you entered %(count)s. Add them in several steps.")
            % values
        )
    return (
        _("At most %(limit)s people at once: you chose %(count)s. Add them in several steps.")
        % values
    )


def too_many_projects(count: int) -> str:
    """The refusal of more than MAX_PROJECTS_PER_REQUEST projects to join in one request."""
    return _(
        "At most %(limit)s projects at once: you chose %(count)s. Add the others in a second step."
    ) % {"limit": _count(MAX_PROJECTS_PER_REQUEST), "count": _count(count)}


def too_many_places(people: int, projects: int) -> str:
    """The refusal of more than MAX_PROJECT_PLACES_PER_REQUEST people times projects."""
    return _(
        "At most %(limit)s project places at once: %(people)s people on %(projects)s "
        "projects make %(count)s. Add fewer people or projects in each step."
    ) % {
        "limit": _count(MAX_PROJECT_PLACES_PER_REQUEST),
        "people": _count(people),
        "projects": _count(projects),
        "count": _count(people * projects),
    }


def _cap_projects(projects: Iterable[Project], field: str = "projects") -> list[Project]:
    chosen = list(projects)
    count = len({project.pk for project in chosen})
    if count > MAX_PROJECTS_PER_REQUEST:
        raise ValidationError({field: too_many_projects(count)})
    return chosen


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
    """The live company of the portal whose name matches `name` as CC2 compares them.

    Compared in the database, with the same expression as the constraint
    `clients_company_name_unique_in_portal`, so the check and the constraint agree.
    """
    found = (
        ClientCompany.objects.filter(portal=portal, deleted_at__isnull=True)
        .annotate(name_key=Lower(Trim("name")))
        .filter(name_key=Lower(Trim(Value(name))))
    )
    if exclude_pk is not None:
        found = found.exclude(pk=exclude_pk)
    return found.order_by("pk").first()


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
    try:
        with transaction.atomic():
            company.save()
    except IntegrityError:
        existing = _existing_named(company.portal, company.name, company.pk)
        if existing is None:
            raise
        raise _name_taken(existing) from None


def _snapshot(company: ClientCompany) -> dict[str, Any]:
    values = {field: getattr(company, field) for field in COMPANY_FIELDS}
    values["country"] = company.country.code or ""
    return values


def _project_ids(company: ClientCompany) -> list[int]:
    return sorted(
        ProjectClient.objects.filter(company=company).values_list("project_id", flat=True)
    )


def _check_projects(portal: Portal, projects: Iterable[Project]) -> list[Project]:
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
    chosen = _check_projects(portal, projects)
    _validate(company)
    _save(company)
    audit_log(
        portal=portal,
        actor=actor,
        action="client_company.created",
        target=company,
        after=_snapshot(company) | {"projects": sorted(p.pk for p in chosen)},
    )
    for project in chosen:
        project_client_add(project=project, company=company, actor=actor)
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
        links = list(ProjectClient.objects.filter(company=company))
        current = {link.project_id for link in links}
        added = _check_projects(
            company.portal, (p for pk, p in wanted.items() if pk not in current)
        )
        removed = [link for link in links if link.project_id not in wanted]
        for link in removed:
            _link_remove(link, actor)
        for project in added:
            project_client_add(project=project, company=company, actor=actor)
        if added or removed:
            audit_before["projects"] = sorted(current)
            audit_after["projects"] = sorted(wanted)

    if audit_after or audit_before:
        audit_log(
            portal=company.portal,
            actor=actor,
            action="client_company.updated",
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
        action="client_company.deleted",
        target=company,
        before=_snapshot(company) | {"projects": _project_ids(company)},
    )
    for link in ProjectClient.objects.filter(company=company):
        _link_remove(link, actor)
    company.deleted_at = timezone.now()
    company.save(update_fields=["deleted_at", "updated_at"])


def _link_remove(link: ProjectClient, actor: User | None) -> None:
    """Take a company off a project; its client users leave the project (PC5).

    Callers hold a transaction.
    """
    leaving = ProjectMember.objects.filter(
        project_id=link.project_id, membership__client_company_id=link.company_id
    )
    left = sorted(leaving.values_list("membership_id", flat=True))
    # Their customisations go with their project membership (PermissionOverride cascades);
    # the audit event keeps what they were.
    customised = _customisations(leaving)
    leaving.delete()
    before: dict[str, Any] = {
        "project": link.project_id,
        "company": link.company_id,
        "is_primary": link.is_primary,
        "client_users": left,
    }
    if customised:
        before["customisations"] = customised
    audit_log(
        portal=link.portal,
        actor=actor,
        action="project_client.removed",
        target=link,
        before=before,
    )
    link.delete()


def _customisations(members: Any) -> dict[str, dict[str, str]]:
    """The permission overrides of these project members, by membership id (for the audit)."""
    return {
        str(membership_id): permissions
        for membership_id, permissions in PermissionOverride.objects.filter(
            member__in=members
        ).values_list("member__membership_id", "permissions")
    }


@transaction.atomic
def project_client_add(
    *,
    project: Project,
    company: ClientCompany,
    actor: User | None,
    make_primary: bool | None = None,
) -> ProjectClient:
    """Associate a company with a project (idempotent: an existing link is returned as is).

    PC3: by default the company becomes primary when the project has none.
    PC4: making it primary takes the mark from the previous primary in the same
    transaction. The project row is locked, so two concurrent first additions
    make one primary; the partial unique index refuses a second one anyway.
    """
    if project.portal_id != company.portal_id:
        raise ValidationError({"project": _("Choose a project of this portal.")})
    # Lock the company, then the project (company_update locks in the same order).
    live = (
        ClientCompany.objects.select_for_update()
        .filter(pk=company.pk, deleted_at__isnull=True)
        .values_list("pk", flat=True)
        .first()
    )
    if live is None:
        raise ValidationError({"company": _("This client company has been deleted.")})
    Project.objects.select_for_update().filter(pk=project.pk).first()
    existing = ProjectClient.objects.filter(project=project, company=company).first()
    if existing is not None:
        return existing
    primary = ProjectClient.objects.filter(project=project, is_primary=True).first()
    if make_primary is None:
        make_primary = primary is None
    if make_primary and primary is not None:
        primary.is_primary = False
        primary.save(update_fields=["is_primary"])
        audit_log(
            portal=company.portal,
            actor=actor,
            action="project_client.primary_unset",
            target=primary,
            before={"is_primary": True},
            after={"is_primary": False},
        )
    link = ProjectClient.objects.create(
        portal_id=project.portal_id, project=project, company=company, is_primary=make_primary
    )
    audit_log(
        portal=company.portal,
        actor=actor,
        action="project_client.added",
        target=link,
        after={"project": project.pk, "company": company.pk, "is_primary": make_primary},
    )
    return link


# Client users (RULES CU1, CU5-CU9) -------------------------------------------------------


def _check_rate(value: Decimal | None, field: str = "hourly_rate") -> Decimal | None:
    """A rate is empty, or a non-negative amount that fits the stored precision."""
    if value is None:
        return None
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValidationError({field: _("Enter an amount such as 85 or 85.50.")})
    if value < 0:
        raise ValidationError({field: _("A rate cannot be negative.")})
    if value != value.quantize(Decimal(1).scaleb(-RATE_DECIMALS)) or value >= Decimal(10) ** (
        RATE_DIGITS - RATE_DECIMALS
    ):
        raise ValidationError(
            {
                field: _("Enter at most %(whole)s digits before the point and %(dec)s after it.")
                % {"whole": RATE_DIGITS - RATE_DECIMALS, "dec": RATE_DECIMALS}
            }
        )
    return value


def _no_rate_without_invoicing(
    portal: Portal, value: Decimal | None, current: Decimal | None = None
) -> None:
    """CU9: a portal without invoicing takes no hourly rate; a rate that differs from the
    stored one (`current`, None for someone new) is refused, so every caller (the page,
    a later API) gets the rule the form applies by not showing the field."""
    if not portal.invoicing_enabled and value != current:
        raise ValidationError(
            {"hourly_rate": _("This portal does not invoice: client users have no hourly rate.")}
        )


def _no_project_rate(portal: Portal, project: Project) -> str | None:
    """CU9: why members of `project` can have no rate of their own there (the portal does
    not invoice, or the project does not bill staff hours, BI1), or None when they can.
    `selectors.project_rates_apply`, which the pages ask, says the same."""
    if not portal.invoicing_enabled:
        return _("This portal does not invoice: client users have no hourly rate.")
    if project.billing_method != BillingMethod.STAFF_HOURS:
        return _("“%(name)s” does not bill staff hours: its members have no rate of their own.") % {
            "name": project.name
        }
    return None


def client_profile_default(*, portal: Portal) -> ClientProfile:
    """The profile new client users get unless told otherwise (CU5)."""
    default = ClientProfile.objects.filter(portal=portal, is_default=True).first()
    return default or client_profile_builtin(portal=portal)


def _check_profile(portal: Portal, profile: ClientProfile | None) -> ClientProfile:
    if profile is None:
        return client_profile_default(portal=portal)
    if profile.portal_id != portal.pk:
        raise ValidationError({"profile": _("Choose a profile of this portal.")})
    return profile


def _check_company(portal: Portal, company: ClientCompany) -> ClientCompany:
    if company.portal_id != portal.pk or company.deleted_at is not None:
        raise ValidationError({"company": _("Choose a client company of this portal.")})
    return company


def _snapshot_user(membership: Membership) -> dict[str, Any]:
    return {
        "email": membership.user.email,
        "company": membership.client_company_id,
        "profile": membership.client_profile_id,
        "hourly_rate": None if membership.hourly_rate is None else str(membership.hourly_rate),
        "status": membership.status,
    }


def _project_join(
    *, membership: Membership, project: Project, rate: Decimal | None, actor: User | None
) -> ProjectMember:
    """Put a client user on a project; their company becomes a client of it if it was not
    (PC3 applies: primary when the project has none). Callers hold a transaction."""
    assert membership.client_company is not None
    project_client_add(project=project, company=membership.client_company, actor=actor)
    # filter().first() rather than get_or_create(): zeal counts repeated get()s as an N+1.
    member = ProjectMember.objects.filter(project=project, membership=membership).first()
    if member is None:
        member = ProjectMember.objects.create(
            portal_id=project.portal_id, project=project, membership=membership, hourly_rate=rate
        )
        audit_log(
            portal=project.portal,
            actor=actor,
            action="project_member.added",
            target=member,
            after={
                "project": project.pk,
                "membership": membership.pk,
                "hourly_rate": None if rate is None else str(rate),
            },
        )
    return member


@transaction.atomic
def client_user_add(
    *,
    portal: Portal,
    actor: User | None,
    email: str,
    company: ClientCompany | None = None,
    new_company_name: str = "",
    profile: ClientProfile | None = None,
    hourly_rate: Decimal | None = None,
    projects: Iterable[Project] = (),
    full_name: str = "",
    invite: bool = True,
) -> Membership:
    """CU1: add a client user, with an existing company or a new one made on the spot.

    CU8: an address is one person across the installation; someone who already
    has an account (in this portal's past or another portal) is linked, not
    duplicated. Someone this portal removed earlier is brought back. The person
    is `invited` and gets an invitation (CU2); with `invite=False` (demo data,
    imports) they are active at once and no email is sent. At most
    MAX_PROJECTS_PER_REQUEST projects.
    """
    chosen = _check_projects(portal, _cap_projects(projects))
    rate = _check_rate(hourly_rate)
    _no_rate_without_invoicing(portal, rate)
    profile = _check_profile(portal, profile)
    if company is not None and new_company_name.strip():
        raise ValidationError(
            {"new_company_name": _("Choose an existing company or name a new one, not both.")}
        )
    if company is None and not new_company_name.strip():
        raise ValidationError({"company": _("Choose the person’s company, or name a new one.")})
    user, _created = user_for_email(email=email, full_name=full_name)
    existing = Membership.objects.select_for_update().filter(portal=portal, user=user).first()
    if existing is not None and existing.status != MembershipStatus.DEACTIVATED:
        raise ValidationError(
            {"email": _("%(email)s is already a member of this portal.") % {"email": user.email}}
        )
    if company is None:
        company = company_create(portal=portal, actor=actor, name=new_company_name)
    company = _check_company(portal, company)
    status = MembershipStatus.INVITED if invite else MembershipStatus.ACTIVE
    now = timezone.now()
    if existing is not None:
        before = _snapshot_user(existing)
        membership = existing
        membership.status = status
        membership.deactivated_at = None
    else:
        before = None
        membership = Membership(portal=portal, user=user, kind=MembershipKind.CLIENT)
    membership.client_company = company
    membership.client_profile = profile
    membership.hourly_rate = rate
    membership.status = status
    if not invite:
        membership.activated_at = now
    membership.save()
    audit_log(
        portal=portal,
        actor=actor,
        action="client_user.readded" if before else "client_user.added",
        target=membership,
        before=before,
        after=_snapshot_user(membership) | {"projects": sorted(p.pk for p in chosen)},
    )
    for project in chosen:
        _project_join(membership=membership, project=project, rate=rate, actor=actor)
    if invite:
        invitation_send(membership=membership, actor=actor)
    return membership


@transaction.atomic
def client_users_add_to_company(
    *,
    company: ClientCompany,
    actor: User | None,
    emails: Iterable[str],
    hourly_rate: Decimal | None = None,
    projects: Iterable[Project] = (),
) -> list[Membership]:
    """CU5: add several people to one company across several projects, all or nothing.

    Each gets the portal's default profile and an invitation. An error names
    the address it is about. At most MAX_PEOPLE_PER_REQUEST addresses,
    MAX_PROJECTS_PER_REQUEST projects and MAX_PROJECT_PLACES_PER_REQUEST people times
    projects; past that nothing is done.
    """
    chosen = _cap_projects(projects)
    addresses = [email for email in emails if email.strip()]
    count = len({email.strip().lower() for email in addresses})
    if count > MAX_PEOPLE_PER_REQUEST:
        raise ValidationError({"emails": too_many_people(count)})
    places = len({project.pk for project in chosen})
    if count * places > MAX_PROJECT_PLACES_PER_REQUEST:
        raise ValidationError({"emails": too_many_places(count, places)})
    added = []
    for email in addresses:
        try:
            added.append(
                client_user_add(
                    portal=company.portal,
                    actor=actor,
                    email=email,
                    company=company,
                    hourly_rate=hourly_rate,
                    projects=chosen,
                )
            )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "email" in error.error_dict:
                raise ValidationError(
                    {"emails": [f"{email.strip()}: {m}" for m in error.message_dict["email"]]}
                ) from None
            raise
    return added


@transaction.atomic
def client_user_update(
    *,
    membership: Membership,
    actor: User | None,
    profile: ClientProfile | None = None,
    hourly_rate: Decimal | None = None,
    project_rates: dict[int, Decimal | None] | None = None,
    add_projects: Iterable[Project] = (),
) -> Membership:
    """CU6: change the portal rate and profile, the rate on each of their projects, and
    put them on more projects (at their portal rate): at most MAX_PROJECTS_PER_REQUEST."""
    to_add = _cap_projects(add_projects, "add_projects")
    membership = _lock_client(membership)
    portal = membership.portal
    before = _snapshot_user(membership)
    if profile is not None:
        membership.client_profile = _check_profile(portal, profile)
    rate = _check_rate(hourly_rate)
    _no_rate_without_invoicing(portal, rate, membership.hourly_rate)
    membership.hourly_rate = rate
    membership.save(update_fields=["client_profile", "hourly_rate", "updated_at"])
    after = _snapshot_user(membership)
    if after != before:
        audit_log(
            portal=portal,
            actor=actor,
            action="client_user.updated",
            target=membership,
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
        )
    rows = {
        row.project_id: row
        for row in ProjectMember.objects.select_for_update(of=("self",))
        .select_related("project")
        .filter(membership=membership)
    }
    for project_id, value in (project_rates or {}).items():
        row = rows.get(project_id)
        if row is None:
            raise ValidationError({"project_rates": _("The person is not on that project.")})
        rate = _check_rate(value, f"rate_{project_id}")
        if row.hourly_rate != rate:
            refusal = _no_project_rate(portal, row.project)
            if refusal is not None:
                # CU9: the page offers no rate on this project; a posted one is refused.
                raise ValidationError({f"rate_{project_id}": refusal})
            audit_log(
                portal=portal,
                actor=actor,
                action="project_member.rate_changed",
                target=row,
                before={"hourly_rate": None if row.hourly_rate is None else str(row.hourly_rate)},
                after={"hourly_rate": None if rate is None else str(rate)},
            )
            row.hourly_rate = rate
            row.save(update_fields=["hourly_rate"])
    for project in _check_projects(portal, to_add):
        if project.pk not in rows:
            _project_join(
                membership=membership, project=project, rate=membership.hourly_rate, actor=actor
            )
    return membership


@transaction.atomic
def client_user_remove(*, membership: Membership, actor: User | None, notify: bool) -> None:
    """CU7: take a client user out of the portal; with `notify`, they get a removal email.

    Nothing of their history is deleted: the membership is deactivated, their
    project memberships end, a pending invitation is revoked (its link stops
    working), and their account stays for their other portals.
    """
    membership = _lock_client(membership)
    before = _snapshot_user(membership)
    projects = sorted(
        ProjectMember.objects.filter(membership=membership).values_list("project_id", flat=True)
    )
    ProjectMember.objects.filter(membership=membership).delete()
    if membership.status == MembershipStatus.INVITED:
        invitation_revoke(membership=membership, actor=actor)
    membership.status = MembershipStatus.DEACTIVATED
    membership.deactivated_at = timezone.now()
    membership.save(update_fields=["status", "deactivated_at", "updated_at"])
    sessions_end_if_no_portal_left(user=membership.user)
    audit_log(
        portal=membership.portal,
        actor=actor,
        action="client_user.removed",
        target=membership,
        before=before | {"projects": projects},
        after={"status": membership.status, "notified": notify},
    )
    if notify:
        removal_notice_queue(membership=membership, actor=actor)


def _lock_client(membership: Membership) -> Membership:
    locked = (
        # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
        Membership.objects.select_for_update(of=("self",))
        .select_related("portal", "user", "client_company")
        .filter(pk=membership.pk, kind=MembershipKind.CLIENT)
        .exclude(status=MembershipStatus.DEACTIVATED)
        .first()
    )
    if locked is None:
        raise ValidationError({NON_FIELD_ERRORS: _("This client user has been removed.")})
    return locked


# A project's clients and client members, from the project's Client users tab (PC1-PC8) ----


def _project_company(project: Project, company: ClientCompany) -> None:
    """Tenancy: the company must be a live one of the project's portal."""
    if company.portal_id != project.portal_id or company.deleted_at is not None:
        raise ValidationError({"company": _("Choose a client company of this portal.")})


def _lock_project(project: Project) -> None:
    # filter().first() rather than get(): zeal counts repeated get()s as an N+1.
    Project.objects.select_for_update().filter(pk=project.pk).first()


def _lock_link(project: Project, company: ClientCompany) -> ProjectClient:
    link = (
        ProjectClient.objects.select_for_update().filter(project=project, company=company).first()
    )
    if link is None:
        raise ValidationError(
            {"company": _("“%(name)s” is not a client of this project.") % {"name": company.name}}
        )
    return link


@transaction.atomic
def project_company_add(
    *,
    project: Project,
    actor: User | None,
    make_primary: bool,
    company: ClientCompany | None = None,
    new_company_name: str = "",
) -> ProjectClient:
    """PC1: make an existing company of the portal a client of the project, or create one
    on the spot (CC1) and make it one.

    `make_primary` is the staff's choice (the form ticks it when the project has no
    primary, PC3); making it primary takes the mark from the previous one (PC4).
    """
    _check_projects(project.portal, [project])
    name = new_company_name.strip()
    if company is not None and name:
        raise ValidationError(
            {"new_company_name": _("Choose an existing company or name a new one, not both.")}
        )
    if company is None:
        if not name:
            raise ValidationError({"company": _("Choose a client company, or name a new one.")})
        company = company_create(portal=project.portal, actor=actor, name=name)
    else:
        _project_company(project, company)
        if ProjectClient.objects.filter(project=project, company=company).exists():
            raise ValidationError(
                {
                    "company": _("“%(name)s” is already a client of this project.")
                    % {"name": company.name}
                }
            )
    return project_client_add(
        project=project, company=company, actor=actor, make_primary=make_primary
    )


@transaction.atomic
def project_client_set_primary(
    *, project: Project, company: ClientCompany, actor: User | None
) -> ProjectClient:
    """PC4: make a client company of the project its primary client; the previous primary
    loses the mark in the same transaction.

    The project row is locked first, so two concurrent requests take turns (the second
    moves the mark again) and the project ends with exactly one primary; the partial
    unique index `clients_one_primary_per_project` is the last guard. Already primary:
    nothing changes.
    """
    _project_company(project, company)
    _lock_project(project)
    link = _lock_link(project, company)
    if link.is_primary:
        return link
    previous = (
        ProjectClient.objects.select_for_update().filter(project=project, is_primary=True).first()
    )
    if previous is not None:
        previous.is_primary = False
        previous.save(update_fields=["is_primary"])
        audit_log(
            portal=project.portal,
            actor=actor,
            action="project_client.primary_unset",
            target=previous,
            before={"is_primary": True},
            after={"is_primary": False, "new_primary": company.pk},
        )
    link.is_primary = True
    link.save(update_fields=["is_primary"])
    audit_log(
        portal=project.portal,
        actor=actor,
        action="project_client.primary_set",
        target=link,
        before={
            "is_primary": False,
            "previous_primary": None if previous is None else previous.company_id,
        },
        after={"is_primary": True},
    )
    return link


@transaction.atomic
def project_client_remove(*, project: Project, company: ClientCompany, actor: User | None) -> None:
    """PC5: take a client company off the project. Its client users leave the project
    (their project membership ends, customisation included); their history stays, and
    the audit event lists who left and what their customisations were.

    PC4: removing the primary client leaves the project without one until someone sets
    it; no other company is promoted.
    """
    _project_company(project, company)
    _lock_project(project)
    _link_remove(_lock_link(project, company), actor)


def _refuse_other_company(
    project: Project, company: ClientCompany, membership: Membership, field: str, label: str
) -> None:
    """A client user of another company cannot be added from this company's list."""
    other = membership.client_company
    if other is None or ProjectClient.objects.filter(project=project, company=other).exists():
        message = _("%(person)s belongs to “%(other)s”: add them from that company.")
    else:
        message = _(
            "%(person)s belongs to “%(other)s”, which is not a client of this project: "
            "add that company to the project first."
        )
    raise ValidationError(
        {
            field: message
            % {"person": label, "other": other.name if other is not None else company.name}
        }
    )


@transaction.atomic
def project_client_users_add(
    *,
    project: Project,
    company: ClientCompany,
    actor: User | None,
    members: Iterable[Membership] = (),
    new_people: Iterable[tuple[str, Decimal | None]] = (),
    emails: Iterable[str] = (),
    rate: Decimal | None = None,
) -> list[Membership]:
    """PC6: put client users of a company of the project on the project, in one step.

    `members` are existing client users of the company (ticked); `new_people` are
    (email, rate) pairs, and `emails` addresses that all get `rate`: each becomes a
    client user of the company with an invitation, as on the portal-level pages (CU1,
    CU2), the rate being their rate (CU9). CU8: an
    address that is already a client user of the company is that person, put on the
    project without a second invitation; a person from another portal is linked, not
    duplicated. The company must already be a client of the project (see the module
    docstring). All or nothing; an error names the field (`members`, `new_emails`,
    `hourly_rate`) and the person. Returns the people added (those already on the
    project are left as they are). At most MAX_PEOPLE_PER_REQUEST people, ticked and
    entered together; past that nothing is done.
    """
    portal = project.portal
    _check_projects(portal, [project])
    _project_company(project, company)
    if not ProjectClient.objects.filter(project=project, company=company).exists():
        raise ValidationError(
            {
                "company": _(
                    "“%(name)s” is not a client of this project: add the company to the "
                    "project first."
                )
                % {"name": company.name}
            }
        )
    chosen = list(members)
    people = [
        (email.strip(), _check_rate(amount))
        for email, amount in [*new_people, *((email, rate) for email in emails)]
    ]
    if not chosen and not people:
        raise ValidationError(
            {NON_FIELD_ERRORS: _("Tick people of the company or enter email addresses.")}
        )
    count = len({member.pk for member in chosen}) + len({email.lower() for email, _r in people})
    if count > MAX_PEOPLE_PER_REQUEST:
        if chosen:
            field = "new_emails" if people else "members"
            raise ValidationError({field: too_many_people(count, entered=False)})
        raise ValidationError({"new_emails": too_many_people(count)})
    refusal = _no_project_rate(portal, project)
    if refusal is not None and any(amount is not None for _email, amount in people):
        # CU9: the page offers no rate here; a posted one is refused, not stored.
        raise ValidationError({"hourly_rate": refusal})
    on_project = set(
        ProjectMember.objects.filter(project=project).values_list("membership_id", flat=True)
    )
    added: list[Membership] = []

    def join(membership: Membership, rate: Decimal | None) -> None:
        if membership.pk not in on_project:
            _project_join(membership=membership, project=project, rate=rate, actor=actor)
            on_project.add(membership.pk)
            added.append(membership)

    for membership in chosen:
        if membership.portal_id != portal.pk or membership.kind != MembershipKind.CLIENT:
            raise ValidationError({"members": _("Choose client users of this portal.")})
        locked = _lock_client(membership)
        if locked.client_company_id != company.pk:
            _refuse_other_company(project, company, locked, "members", locked.user.email)
        join(locked, locked.hourly_rate)

    for email, person_rate in people:
        existing = (
            Membership.objects.select_related("user", "client_company")
            .filter(portal=portal, user__email__iexact=email)
            .exclude(status=MembershipStatus.DEACTIVATED)
            .first()
        )
        if existing is None:
            try:
                membership = client_user_add(
                    portal=portal,
                    actor=actor,
                    email=email,
                    company=company,
                    hourly_rate=person_rate,
                    projects=[project],
                )
            except ValidationError as error:
                if hasattr(error, "error_dict") and "email" in error.error_dict:
                    raise ValidationError(
                        {"new_emails": [f"{email}: {m}" for m in error.message_dict["email"]]}
                    ) from None
                raise
            on_project.add(membership.pk)
            added.append(membership)
        elif existing.kind != MembershipKind.CLIENT:
            raise ValidationError(
                {
                    "new_emails": _("%(email)s: a staff member of this portal, not a client user.")
                    % {"email": email}
                }
            )
        elif existing.client_company_id != company.pk:
            _refuse_other_company(project, company, existing, "new_emails", email)
        else:
            # CU8: already a client user of the company: the same person, no new invitation.
            join(
                _lock_client(existing), existing.hourly_rate if person_rate is None else person_rate
            )
    return added


def _lock_project_client_member(project: Project, member: ProjectMember) -> ProjectMember:
    """The client user's row on this project, locked; anyone else's is refused."""
    locked = (
        ProjectMember.objects.select_for_update(of=("self",))
        .select_related("membership__user", "membership__client_company", "membership__portal")
        .filter(
            pk=member.pk,
            project_id=project.pk,
            portal_id=project.portal_id,
            membership__kind=MembershipKind.CLIENT,
        )
        .first()
    )
    if locked is None:
        raise ValidationError(
            {NON_FIELD_ERRORS: _("This person is not a client user of this project.")}
        )
    locked.project = project
    return locked


def _rate_text(rate: Decimal | None) -> str | None:
    return None if rate is None else str(rate)


@transaction.atomic
def project_member_rate_update(
    *, project: Project, member: ProjectMember, rate: Decimal | None, actor: User | None
) -> ProjectMember:
    """PC7: a client user's hourly rate on this project (empty for none).

    CU9: only a project that bills staff hours, in a portal with invoicing, has
    member rates; elsewhere the change is refused (the page does not offer it).
    """
    member = _lock_project_client_member(project, member)
    refusal = _no_project_rate(project.portal, project)
    if refusal is not None:
        raise ValidationError({"hourly_rate": refusal})
    rate = _check_rate(rate)
    if member.hourly_rate != rate:
        audit_log(
            portal=project.portal,
            actor=actor,
            action="project_member.rate_changed",
            target=member,
            before={"hourly_rate": _rate_text(member.hourly_rate)},
            after={"hourly_rate": _rate_text(rate)},
        )
        member.hourly_rate = rate
        member.save(update_fields=["hourly_rate"])
    return member


@transaction.atomic
def project_client_user_remove(
    *, project: Project, member: ProjectMember, actor: User | None, notify: bool
) -> None:
    """PC8: take a client user off the project; with `notify`, they get an email saying so.

    They stay a client user of the portal, on their other projects. Their
    customisation in this project goes with their project membership; the audit
    event keeps it, and what they did in the project stays.
    """
    member = _lock_project_client_member(project, member)
    membership = member.membership
    customised = _customisations(ProjectMember.objects.filter(pk=member.pk))
    before: dict[str, Any] = {
        "project": project.pk,
        "membership": membership.pk,
        "hourly_rate": _rate_text(member.hourly_rate),
    }
    if customised:
        before["customisation"] = customised[str(membership.pk)]
    audit_log(
        portal=project.portal,
        actor=actor,
        action="project_member.removed",
        target=member,
        before=before,
        after={"notified": notify},
    )
    member.delete()
    if notify:
        user = membership.user
        email_queue(
            kind="client_removed_from_project",
            to=user.email,
            template="client_removed_from_project",
            context={
                "user": user,
                "remover": actor,
                "company": membership.client_company,
                "project": project,
            },
            language=user.language,
            portal=project.portal,
        )
