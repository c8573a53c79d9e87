"""A project's clients (RULES PC1-PC8), from the project's "Client users" tab: its client
companies, the primary mark, its client users and their rates. One transaction each,
audited.

Services trust their caller for permissions (views ask `portail.access`), but not for
tenancy: every company and person handed in must be of the project's portal, and
`ValidationError` names the field that is wrong.

A client user can only be put on a project whose clients include their company. The
project-level "add users" (`project_client_users_add`) is offered per company of the
project and refuses anyone of another company with a message telling staff to add that
company to the project first; it never adds the company by itself. (The portal-level
pages, CU1/CU5/CU6 in `client_users.py`, choose projects for a person, and there the
company joins the project with them.)
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portail.accounts.models import User
from portail.audit.services import audit_log
from portail.clients.client_users import client_user_add, client_user_lock
from portail.clients.companies import company_create
from portail.clients.events import PROJECT_CLIENT_PRIMARY_SET, PROJECT_MEMBER_RATE_CHANGED
from portail.clients.limits import MAX_PEOPLE_PER_REQUEST, too_many_people
from portail.clients.links import (
    check_projects,
    customisations,
    link_add,
    link_remove,
    lock_project,
    primary_current,
    primary_drop,
    project_join,
)
from portail.clients.models import ClientCompany, ProjectClient
from portail.clients.rates import check_rate, no_project_rate, rate_text
from portail.notifications.services import email_queue
from portail.portals.models import Membership, MembershipKind, MembershipStatus
from portail.projects.events import PROJECT_MEMBER_REMOVED
from portail.projects.models import Project, ProjectMember
from portail.projects.services import project_members_delete


def _project_company(project: Project, company: ClientCompany) -> None:
    """Tenancy: the company must be a live one of the project's portal."""
    if company.portal_id != project.portal_id or company.deleted_at is not None:
        raise ValidationError({"company": _("Choose a client company of this portal.")})


def _lock_link(project: Project, company: ClientCompany) -> ProjectClient:
    link = (
        ProjectClient.objects.select_for_update(of=("self",))
        .select_related("portal", "project", "company")
        .filter(project=project, company=company)
        .first()
    )
    if link is None:
        raise ValidationError(
            {"company": _("“%(name)s” is not a client of this project.") % {"name": company.name}}
        )
    return link


# The project's client companies and the primary mark (PC1, PC3-PC5) -------------------------


@transaction.atomic
def project_client_add(
    *,
    project: Project,
    actor: User | None,
    company: ClientCompany | None = None,
    new_company_name: str = "",
    make_primary: bool | None = None,
) -> ProjectClient:
    """PC1: make an existing company of the portal a client of the project, or create one
    on the spot (CC1) and make it one. The project must not be archived.

    PC3: with `make_primary=None` the company becomes primary when the project has none;
    otherwise `make_primary` is the caller's choice (the page's box, ticked when the
    project has no primary). PC4: making it primary takes the mark from the previous one.

    A company that is already a client: with `make_primary=None` its link is returned as
    it is (adding twice changes nothing); a caller that chose the mark (the page) is told
    the company is already a client, since the existing link may not be what it chose.
    """
    check_projects(project.portal, [project])
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
    link, created = link_add(
        project=project, company=company, actor=actor, make_primary=make_primary
    )
    if not created and make_primary is not None:
        raise ValidationError(
            {
                "company": _("“%(name)s” is already a client of this project.")
                % {"name": company.name}
            }
        )
    return link


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
    lock_project(project)
    link = _lock_link(project, company)
    if link.is_primary:
        return link
    previous = primary_current(project)
    if previous is not None:
        primary_drop(previous, portal=project.portal, actor=actor, new_primary=company)
    link.is_primary = True
    link.save(update_fields=["is_primary"])
    audit_log(
        portal=project.portal,
        actor=actor,
        action=PROJECT_CLIENT_PRIMARY_SET,
        target=link,
        before={
            "is_primary": False,
            "previous_primary": None if previous is None else previous.company,
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
    lock_project(project)
    link_remove(_lock_link(project, company), actor)


# The project's client users and their rates (PC6-PC8, CU9) ----------------------------------


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
    check_projects(portal, [project])
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
        (email.strip(), check_rate(amount))
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
    refusal = no_project_rate(portal, project)
    if refusal is not None and any(amount is not None for _email, amount in people):
        # CU9: the page offers no rate here; a posted one is refused, not stored.
        raise ValidationError({"hourly_rate": refusal})
    on_project = set(
        ProjectMember.objects.filter(project=project).values_list("membership_id", flat=True)
    )
    added: list[Membership] = []

    def join(membership: Membership, rate: Decimal | None) -> None:
        if membership.pk not in on_project:
            project_join(membership=membership, project=project, rate=rate, actor=actor)
            on_project.add(membership.pk)
            added.append(membership)

    for membership in chosen:
        if membership.portal_id != portal.pk or membership.kind != MembershipKind.CLIENT:
            raise ValidationError({"members": _("Choose client users of this portal.")})
        locked = client_user_lock(membership)
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
                client_user_lock(existing),
                existing.hourly_rate if person_rate is None else person_rate,
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


@transaction.atomic
def project_member_rate_update(
    *, project: Project, member: ProjectMember, rate: Decimal | None, actor: User | None
) -> ProjectMember:
    """PC7: a client user's hourly rate on this project (empty for none).

    CU9: only a project that bills staff hours, in a portal with invoicing, has
    member rates; elsewhere the change is refused (the page does not offer it).
    """
    member = _lock_project_client_member(project, member)
    refusal = no_project_rate(project.portal, project)
    if refusal is not None:
        raise ValidationError({"hourly_rate": refusal})
    rate = check_rate(rate)
    if member.hourly_rate != rate:
        audit_log(
            portal=project.portal,
            actor=actor,
            action=PROJECT_MEMBER_RATE_CHANGED,
            target=member,
            before={"hourly_rate": rate_text(member.hourly_rate)},
            after={"hourly_rate": rate_text(rate)},
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
    row = ProjectMember.objects.filter(pk=member.pk)
    customised = customisations(row)
    before: dict[str, Any] = {
        "project": project,
        "membership": membership,
        "hourly_rate": rate_text(member.hourly_rate),
    }
    if customised:
        before["customisation"] = customised[str(membership.pk)]
    audit_log(
        portal=project.portal,
        actor=actor,
        action=PROJECT_MEMBER_REMOVED,
        target=member,
        before=before,
        after={"notified": notify},
    )
    project_members_delete(members=row)
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
