"""The rows of the long lists of client users, ready to show: each row's links and its
invitation badge worked out in Python, each URL name reversed once per page
(`web.row_url`), so that a template loops over plain values without a `{% url %}` or an
`{% include %}` per row (issue 13: on a 1,000-person tab they cost most of the page).

Used by the project's Client users tab (RULES PC1-PC8) and the portal's client-users list
(CU1, CU3, CU6, CU7, CU10).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import NoReverseMatch
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _

from portail.clients.invitation_presentation import InvitationBadge, invitation_badge
from portail.clients.invitation_selectors import InvitationState
from portail.clients.selectors import ProjectCompany
from portail.portals.models import Membership, MembershipStatus
from portail.projects.models import Project, ProjectMember
from portail.web import row_url

# The project's Client users tab -----------------------------------------------------------


@dataclass(frozen=True)
class TabCompany:
    """A company of the project with the links of its actions. Its values are copied flat
    (one lookup each in the template, which renders a hundred of these)."""

    company: ProjectCompany
    id: int
    name: str
    people: int
    is_primary: bool
    is_client: bool  # False: only people left over from before are on the project
    of_name: str  # "of <company>", for screen readers after "Add users"
    people_url: str  # the tab showing this company's people only
    users_add_url: str
    primary_url: str
    remove_url: str


@dataclass(frozen=True)
class TabPerson:
    """A client user on the project with the links of their actions. A link of another
    app's page is "" when that page is not installed (the tab then leaves it out)."""

    member: ProjectMember
    person: Membership
    id: int  # the person's membership in the portal
    name: str  # their full name, or their email without one
    email: str
    has_name: bool
    company: str
    is_customised: bool
    invitation: InvitationBadge
    permissions_url: str
    customise_url: str
    view_as_url: str
    edit_url: str
    remove_url: str


def _optional(viewname: str, key: str, **kwargs: object) -> Callable[[int], str]:
    """`row_url`, or "" for every row when the URL does not resolve (as `{% url ... as
    var %}` leaves its variable empty)."""
    try:
        return row_url(viewname, key, **kwargs)
    except NoReverseMatch:
        return lambda pk: ""


def tab_companies(
    *, project: Project, companies: Iterable[ProjectCompany], list_url: str
) -> list[TabCompany]:
    """The tab's companies with their links; `list_url` is the tab's own address."""
    page = {"portal_slug": project.portal.slug, "project_id": project.pk}
    users_add = row_url("project-clients:users-add", "company_id", **page)
    primary = row_url("project-clients:company-primary", "company_id", **page)
    remove = row_url("project-clients:company-remove", "company_id", **page)
    return [
        TabCompany(
            company=company,
            id=company.company_id,
            name=company.name,
            people=company.people,
            is_primary=company.is_primary,
            is_client=company.is_client,
            of_name=_("of %(name)s") % {"name": company.name},
            people_url=f"{list_url}?{urlencode({'company': company.company_id})}",
            users_add_url=users_add(company.company_id),
            primary_url=primary(company.company_id),
            remove_url=remove(company.company_id),
        )
        for company in companies
    ]


def tab_people(
    *,
    project: Project,
    members: Iterable[ProjectMember],
    states: dict[int, InvitationState],
) -> list[TabPerson]:
    """The tab's people (a page of them) with their links and invitation badges."""
    page = {"portal_slug": project.portal.slug, "project_id": project.pk}
    show = _optional("member-permissions:show", "membership_id", **page)
    customise = _optional("member-permissions:edit", "membership_id", **page)
    view_as = _optional("projects:view-as", "membership_id", **page)
    edit = row_url("project-clients:user-edit", "membership_id", **page)
    remove = row_url("project-clients:user-remove", "membership_id", **page)
    rows = []
    for member in members:
        member.project = project
        pk = member.membership_id
        person = member.membership
        user = person.user
        rows.append(
            TabPerson(
                member=member,
                person=person,
                id=pk,
                name=user.full_name or user.email,
                email=user.email,
                has_name=bool(user.full_name),
                company=person.client_company.name if person.client_company else "",
                is_customised=bool(getattr(member, "is_customised", False)),
                invitation=invitation_badge(states.get(pk)),
                permissions_url=show(pk),
                customise_url=customise(pk),
                view_as_url=view_as(pk),
                edit_url=edit(pk),
                remove_url=remove(pk),
            )
        )
    return rows


# The portal's client-users list -----------------------------------------------------------


@dataclass(frozen=True)
class UserRow:
    """A client user of the portal with the links of their actions (none for a removed
    one) and their invitation: its badge, whether it can be sent again or revoked."""

    person: Membership
    id: int
    name: str  # their full name, or their email without one
    email: str
    has_name: bool
    removed: bool  # deactivated: listed last in their company, without actions
    invitation: InvitationBadge
    edit_url: str
    remove_url: str
    resend_url: str  # "" unless the person is invited (CU3)
    revoke_url: str  # "" unless their invitation is pending (CU10)
    resend_wait: str  # "You can invite them again in …" while CU3 holds it back
    company_users_add_url: str  # their company's, for the group's header
    company_edit_url: str


def user_rows(
    *, portal_slug: str, people: Iterable[Membership], states: dict[int, InvitationState]
) -> list[UserRow]:
    """The list's people (a page of them) with their links and invitation badges."""
    page = {"portal_slug": portal_slug}
    edit = row_url("clients:user-edit", "membership_id", **page)
    remove = row_url("clients:user-remove", "membership_id", **page)
    resend = row_url("invitation-admin:invitation-resend", "membership_id", **page)
    revoke = row_url("invitation-admin:invitation-revoke", "membership_id", **page)
    company_users_add = row_url("clients:company-users-add", "company_id", **page)
    company_edit = row_url("clients:company-edit", "company_id", **page)
    rows = []
    for person in people:
        state = states.get(person.pk)
        live = person.status != MembershipStatus.DEACTIVATED
        invited = live and person.status == MembershipStatus.INVITED
        wait = ""
        if (
            invited
            and state is not None
            and not state.reinvite_allowed
            and state.can_reinvite_at is not None
        ):
            wait = _("You can invite them again in %(when)s.") % {
                "when": timeuntil(state.can_reinvite_at)
            }
        user = person.user
        rows.append(
            UserRow(
                person=person,
                id=person.pk,
                name=user.full_name or user.email,
                email=user.email,
                has_name=bool(user.full_name),
                removed=not live,
                invitation=invitation_badge(state),
                edit_url=edit(person.pk) if live else "",
                remove_url=remove(person.pk) if live else "",
                resend_url=resend(person.pk) if invited else "",
                revoke_url=revoke(person.pk) if invited and state and state.revocable else "",
                resend_wait=wait,
                company_users_add_url=company_users_add(person.client_company_id or 0),
                company_edit_url=company_edit(person.client_company_id or 0),
            )
        )
    return rows
