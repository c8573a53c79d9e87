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
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from portail.accounts.models import User
from portail.audit.services import audit_log, audit_log_many
from portail.clients.client_users import client_user_add, client_user_lock
from portail.clients.companies import company_create
from portail.clients.events import PROJECT_CLIENT_PRIMARY_SET, PROJECT_MEMBER_RATE_CHANGED
from portail.clients.limits import (
    MAX_MEMBERS_PER_REQUEST,
    MAX_PEOPLE_PER_REQUEST,
    too_many_members,
    too_many_people,
)
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
from portail.clients.selectors import JOINABLE_STATUSES, project_client_user_candidates
from portail.notifications.services import email_queue
from portail.portals.models import Membership, MembershipKind, MembershipStatus
from portail.projects.events import PROJECT_MEMBER_ADDED, PROJECT_MEMBER_REMOVED
from portail.projects.models import Project, ProjectMember
from portail.projects.services import project_members_bulk_add, project_members_delete


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


def _check_adding(project: Project, company: ClientCompany) -> None:
    """PC6: the project takes client users (the portal's, not archived) and the company is
    one of its clients (see the module docstring)."""
    check_projects(project.portal, [project])
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


def _lock_client_users(
    ids: Iterable[int] | QuerySet[Any], project: Project, company: ClientCompany
) -> list[Membership]:
    """The client users of these ids (a list, or a query of ids) who are not removed,
    locked in id order (so two admins take turns without a deadlock), with their person;
    one query. Those of the project's portal and of `company` share those objects
    (thousands of rows, not thousands of copies of the same two rows)."""
    locked = list(
        # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
        Membership.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk__in=ids, kind=MembershipKind.CLIENT)
        .exclude(status=MembershipStatus.DEACTIVATED)
        .order_by("pk")
    )
    for membership in locked:
        if membership.portal_id == project.portal_id:
            membership.portal = project.portal
        if membership.client_company_id == company.pk:
            membership.client_company = company
    return locked


def _join_many(
    project: Project, company: ClientCompany, people: list[Membership], actor: User | None
) -> list[Membership]:
    """Put these locked client users of the company on the project at their portal rate,
    in a constant number of queries whatever their number: the project, then the
    company's link with it, are locked (the order project_client_remove takes them), so a
    company taken off the project meanwhile is refused, never linked again (PC6 does not
    add the company by itself); those already on the project are left out, the others'
    rows are inserted together, and so are their audit events (one
    `project_member.added` each, as when people join one by one). Returns those added."""
    if not people:
        return []
    lock_project(project)
    _lock_link(project, company)
    on_project = set(
        ProjectMember.objects.filter(
            project=project, membership_id__in=[person.pk for person in people]
        ).values_list("membership_id", flat=True)
    )
    joining = [person for person in people if person.pk not in on_project]
    rows = project_members_bulk_add(
        project=project, people=[(person, person.hourly_rate) for person in joining]
    )
    audit_log_many(
        portal=project.portal,
        actor=actor,
        action=PROJECT_MEMBER_ADDED,
        changes=[
            (
                row,
                None,
                {
                    "project": project,
                    "membership": row.membership,
                    "hourly_rate": rate_text(row.hourly_rate),
                },
            )
            for row in rows
        ],
    )
    return joining


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

    `members` are existing client users of the company (ticked), put on the project at
    their portal rate in a constant number of queries (`_join_many`); `new_people` are
    (email, rate) pairs, and `emails` addresses that all get `rate`: each becomes a
    client user of the company with an invitation, as on the portal-level pages (CU1,
    CU2), the rate being their rate (CU9). CU8: an
    address that is already a client user of the company is that person, put on the
    project without a second invitation; a person from another portal is linked, not
    duplicated. The company must already be a client of the project (see the module
    docstring). All or nothing; an error names the field (`members`, `new_emails`,
    `hourly_rate`) and the person. Returns the people added (those already on the
    project are left as they are). At most MAX_MEMBERS_PER_REQUEST people ticked and
    MAX_PEOPLE_PER_REQUEST entered (each gets an email); past that nothing is done.
    """
    portal = project.portal
    _check_adding(project, company)
    chosen = list(members)
    people = [
        (email.strip(), check_rate(amount))
        for email, amount in [*new_people, *((email, rate) for email in emails)]
    ]
    if not chosen and not people:
        raise ValidationError(
            {NON_FIELD_ERRORS: _("Tick people of the company or enter email addresses.")}
        )
    ticked = {member.pk for member in chosen}
    if len(ticked) > MAX_MEMBERS_PER_REQUEST:
        raise ValidationError({"members": too_many_members(len(ticked))})
    entered = len({email.lower() for email, _r in people})
    if entered > MAX_PEOPLE_PER_REQUEST:
        raise ValidationError({"new_emails": too_many_people(entered)})
    refusal = no_project_rate(portal, project)
    if refusal is not None and any(amount is not None for _email, amount in people):
        # CU9: the page offers no rate here; a posted one is refused, not stored.
        raise ValidationError({"hourly_rate": refusal})
    for membership in chosen:
        if membership.portal_id != portal.pk or membership.kind != MembershipKind.CLIENT:
            raise ValidationError({"members": _("Choose client users of this portal.")})
    locked = _lock_client_users(ticked, project, company) if ticked else []
    if len(locked) != len(ticked):
        raise ValidationError({NON_FIELD_ERRORS: _("This client user has been removed.")})
    for membership in locked:
        if membership.client_company_id != company.pk:
            _refuse_other_company(project, company, membership, "members", membership.user.email)
    added = _join_many(project, company, locked, actor)
    if not people:
        return added

    on_project = set(
        ProjectMember.objects.filter(project=project).values_list("membership_id", flat=True)
    )

    def join(membership: Membership, rate: Decimal | None) -> None:
        if membership.pk not in on_project:
            project_join(membership=membership, project=project, rate=rate, actor=actor)
            on_project.add(membership.pk)
            added.append(membership)

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


@transaction.atomic
def project_client_users_add_matching(
    *, project: Project, company: ClientCompany, actor: User | None, search: str = ""
) -> list[Membership]:
    """PC6, "add everyone matching": put on the project every client user of the company
    who is not on it yet and matches `search` (name or email; everyone without one), as
    `project_client_user_candidates` lists them, at their portal rate.

    The set is resolved here, inside the transaction, when the change is made, not when
    the page was shown: someone removed from the portal, moved to another company or
    put on the project since is left out; someone who joined the company since is
    included. At most MAX_MEMBERS_PER_REQUEST people; past that, or when nobody
    matches, nothing is done and the error says why (on `members`). A constant number
    of queries whatever the number of people (`_join_many`).
    """
    _check_adding(project, company)
    matching = project_client_user_candidates(project=project, company=company, search=search)
    count = matching.count()
    if count > MAX_MEMBERS_PER_REQUEST:
        raise ValidationError({"members": too_many_members(count, matching=True)})
    locked = [
        membership
        for membership in _lock_client_users(matching.values("pk"), project, company)
        # Changed between the count and the lock: no longer of the company, or gone.
        if membership.client_company_id == company.pk and membership.status in JOINABLE_STATUSES
    ]
    added = _join_many(project, company, locked, actor)
    if not added:
        raise ValidationError({"members": _nobody_matches(search)})
    return added


def _nobody_matches(search: str) -> str:
    if search.strip():
        return _(
            "Nobody of the company who is not on the project matches “%(search)s”: nobody "
            "was added."
        ) % {"search": search.strip()}
    return _("Everyone of the company is on the project already: nobody was added.")


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
