"""Client users of a portal (RULES CU1, CU5-CU9), from the portal-level pages: one
transaction each, audited.

Services trust their caller for permissions (views ask `portail.access`), but not for
tenancy: every company, profile and project handed in must be the portal's, and
`ValidationError` names the field that is wrong. These pages choose projects for a
person, and there the company joins the project with them (`links.project_join`); the
project's own tab (`project_clients.py`) never adds a company by itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portail.access.models import ClientProfile
from portail.access.profiles import client_profile_builtin
from portail.accounts.models import User
from portail.audit.services import audit_log
from portail.clients.companies import company_create
from portail.clients.events import (
    CLIENT_USER_ADDED,
    CLIENT_USER_READDED,
    CLIENT_USER_REMOVED,
    CLIENT_USER_UPDATED,
    PROJECT_MEMBER_RATE_CHANGED,
)
from portail.clients.invitation_services import (
    invitation_revoke,
    invitation_send,
    removal_notice_queue,
)
from portail.clients.limits import (
    MAX_PEOPLE_PER_REQUEST,
    MAX_PROJECT_PLACES_PER_REQUEST,
    cap_projects,
    too_many_people,
    too_many_places,
)
from portail.clients.links import check_projects, project_join
from portail.clients.models import ClientCompany
from portail.clients.rates import check_rate, no_project_rate, rate_text
from portail.portals.models import Membership, MembershipKind, MembershipStatus, Portal
from portail.portals.services import sessions_end_if_no_portal_left, user_for_email
from portail.projects.models import Project, ProjectMember
from portail.projects.services import project_members_delete


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
        "company": membership.client_company,
        "profile": membership.client_profile,
        "hourly_rate": rate_text(membership.hourly_rate),
        "status": membership.status,
    }


def client_user_lock(membership: Membership) -> Membership:
    """The client user's membership, locked, with their person, portal and company; one
    who was removed (or is not a client user) is refused."""
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
    chosen = check_projects(portal, cap_projects(projects))
    rate = check_rate(hourly_rate)
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
        action=CLIENT_USER_READDED if before else CLIENT_USER_ADDED,
        target=membership,
        before=before,
        after=_snapshot_user(membership) | {"projects": sorted(chosen, key=lambda p: p.pk)},
    )
    for project in chosen:
        project_join(membership=membership, project=project, rate=rate, actor=actor)
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
    chosen = cap_projects(projects)
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
    to_add = cap_projects(add_projects, "add_projects")
    membership = client_user_lock(membership)
    portal = membership.portal
    before = _snapshot_user(membership)
    if profile is not None:
        membership.client_profile = _check_profile(portal, profile)
    rate = check_rate(hourly_rate)
    _no_rate_without_invoicing(portal, rate, membership.hourly_rate)
    membership.hourly_rate = rate
    membership.save(update_fields=["client_profile", "hourly_rate", "updated_at"])
    after = _snapshot_user(membership)
    if after != before:
        audit_log(
            portal=portal,
            actor=actor,
            action=CLIENT_USER_UPDATED,
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
    for on_project in rows.values():
        # Loaded with their person already: the log names each row by it, with no query.
        on_project.membership = membership
    for project_id, value in (project_rates or {}).items():
        row = rows.get(project_id)
        if row is None:
            raise ValidationError({"project_rates": _("The person is not on that project.")})
        rate = check_rate(value, f"rate_{project_id}")
        if row.hourly_rate != rate:
            refusal = no_project_rate(portal, row.project)
            if refusal is not None:
                # CU9: the page offers no rate on this project; a posted one is refused.
                raise ValidationError({f"rate_{project_id}": refusal})
            audit_log(
                portal=portal,
                actor=actor,
                action=PROJECT_MEMBER_RATE_CHANGED,
                target=row,
                before={"hourly_rate": rate_text(row.hourly_rate)},
                after={"hourly_rate": rate_text(rate)},
            )
            row.hourly_rate = rate
            row.save(update_fields=["hourly_rate"])
    for project in check_projects(portal, to_add):
        if project.pk not in rows:
            project_join(
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
    membership = client_user_lock(membership)
    before = _snapshot_user(membership)
    projects = [
        row.project
        for row in ProjectMember.objects.filter(membership=membership)
        .select_related("project")
        .order_by("project_id")
    ]
    project_members_delete(members=ProjectMember.objects.filter(membership=membership))
    if membership.status == MembershipStatus.INVITED:
        invitation_revoke(membership=membership, actor=actor)
    membership.status = MembershipStatus.DEACTIVATED
    membership.deactivated_at = timezone.now()
    membership.save(update_fields=["status", "deactivated_at", "updated_at"])
    sessions_end_if_no_portal_left(user=membership.user)
    audit_log(
        portal=membership.portal,
        actor=actor,
        action=CLIENT_USER_REMOVED,
        target=membership,
        before=before | {"projects": projects},
        after={"status": membership.status, "notified": notify},
    )
    if notify:
        removal_notice_queue(membership=membership, actor=actor)
