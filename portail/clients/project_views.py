"""A project's client companies and client users, for the project's staff (RULES PC1-PC8):
the project's Users -> Client users tab.

Thin: `project_permission(PROJECT_EDIT, staff_only=True)` loads the project from the
person's portal (client users, employees who are not on the project and other portals'
people get 404). A company or client user named by the URL or the form is then looked up
in that project's portal and project: another portal's is 404, like a project they cannot
see. Every change goes through a service in a POST.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from portail.access.decorators import project_permission
from portail.clients import list_rows, project_clients, selectors
from portail.clients.forms import ClientUserFilterForm, ClientUserSearchForm
from portail.clients.invitation_selectors import invitation_states
from portail.clients.models import ClientCompany, ProjectClient
from portail.clients.project_forms import (
    CANDIDATES_PER_PAGE,
    ProjectCompanyAddForm,
    ProjectMemberRateForm,
    ProjectUserRemoveForm,
    ProjectUsersAddForm,
    ProjectUsersEveryoneForm,
)
from portail.feedback import report_errors
from portail.names import some_names
from portail.portals.decorators import PortalRequest
from portail.portals.models import Membership
from portail.projects.models import Project, ProjectMember
from portail.projects.permissions import PROJECT_EDIT
from portail.web import (
    apply_service_errors,
    get_or_post,
    paginate,
    posted,
    read_ids,
    refuse_outside_scope,
)


def _list_url(request: PortalRequest, project: Project, company_id: int | None = None) -> str:
    """The tab; after an action on a company (or one of its people), the tab showing that
    company's people, at the company's row."""
    url = reverse(
        "project-clients:list",
        kwargs={"portal_slug": request.portal.slug, "project_id": project.pk},
    )
    return f"{url}?company={company_id}#company-{company_id}" if company_id else url


def _back(request: PortalRequest, project: Project, company_id: int | None = None) -> HttpResponse:
    return HttpResponseRedirect(_list_url(request, project, company_id))


def _in_portal(request: PortalRequest, project: Project) -> Project:
    project.portal = request.portal  # already loaded: saves a query in services and selectors
    return project


def _portal_company(request: PortalRequest, company_id: int) -> ClientCompany:
    """A live company of this portal; another portal's (or a deleted one) is 404."""
    company = selectors.company(portal=request.portal, company_id=company_id)
    if company is None:
        raise Http404
    return company


def _link(project: Project, company_id: int) -> ProjectClient:
    """The project's link with this company; any company that is not its client is 404."""
    link = selectors.project_client_link(project=project, company_id=company_id)
    if link is None:
        raise Http404
    return link


def _member(project: Project, membership_id: int) -> ProjectMember:
    """A client user of this project; staff, other projects' and portals' people are 404."""
    member = selectors.project_client_member(project=project, membership_id=membership_id)
    if member is None:
        raise Http404
    return member


PEOPLE_PER_PAGE = 50


@project_permission(PROJECT_EDIT, staff_only=True)
@require_safe
def client_list(request: PortalRequest, project: Project) -> HttpResponse:
    """Users -> Client users: the companies of the project, the primary first, each with
    how many of its people are on the project, then a page of those people, searchable
    by name, email or company and filtered by company (PC1-PC8). A company that is not
    one of the project's (another portal's included) is refused with a message, and
    every company is shown."""
    project = _in_portal(request, project)
    companies = selectors.project_client_companies(project=project)
    search_form = ClientUserFilterForm(request.GET)
    search_form.is_valid()  # each field that is valid is used
    search = search_form.cleaned_data.get("q") or ""
    company_id = search_form.cleaned_data.get("company")
    chosen = next((c for c in companies if c.company_id == company_id), None)
    # Not an id, or not one of this project's companies (another portal's included).
    company_refused = "company" not in search_form.cleaned_data or bool(
        company_id and chosen is None
    )
    found = selectors.project_client_members(
        project=project, company_id=chosen.company_id if chosen else None, search=search
    )
    # The companies' counts already say how many people there are, unless searching.
    known = None if search else (chosen.people if chosen else sum(c.people for c in companies))
    page = paginate(request, found, PEOPLE_PER_PAGE, count=known)
    members = list(page.object_list)
    states = invitation_states(
        portal=project.portal, membership_ids=[member.membership_id for member in members]
    )
    list_url = _list_url(request, project)
    return render(
        request,
        "clients/project_clients.html",
        {
            "project": project,
            "companies": list_rows.tab_companies(
                project=project, companies=companies, list_url=list_url
            ),
            "people": list_rows.tab_people(project=project, members=members, states=states),
            "page": page,
            "chosen": chosen,
            "search_form": search_form,
            "search": search,
            "company_refused": company_refused,
            "filtered": bool(search or chosen or company_refused),
            "clear_url": list_url,
            "rates_apply": selectors.project_rates_apply(project=project),
        },
    )


@project_permission(PROJECT_EDIT, staff_only=True)
@get_or_post
def company_add(request: PortalRequest, project: Project) -> HttpResponse:
    """PC1 (PC3, PC4): an existing company of the portal or a new one becomes a client."""
    project = _in_portal(request, project)
    form = ProjectCompanyAddForm(
        posted(request),
        project=project,
        has_primary=selectors.project_has_primary(project=project),
    )
    refuse_outside_scope(form)  # another portal's company, posted by hand: 404
    if form.is_valid():
        data = form.cleaned_data
        try:
            link = project_clients.project_client_add(
                project=project,
                actor=request.membership.user,
                company=data["company"],
                new_company_name=data["new_company_name"],
                make_primary=data["make_primary"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                (
                    _("“%(name)s” is now the primary client of this project.")
                    if link.is_primary
                    else _("“%(name)s” is now a client of this project.")
                )
                % {"name": link.company.name},
            )
            return _back(request, project, link.company_id)
    return render(request, "clients/project_client_add.html", {"project": project, "form": form})


@project_permission(PROJECT_EDIT, staff_only=True)
@require_POST
def company_primary(request: PortalRequest, project: Project, company_id: int) -> HttpResponse:
    """PC4: this company becomes the primary client; the previous one loses the mark."""
    project = _in_portal(request, project)
    link = _link(project, company_id)
    try:
        project_clients.project_client_set_primary(
            project=project, company=link.company, actor=request.membership.user
        )
    except ValidationError as error:
        report_errors(request, error)
    else:
        messages.success(
            request,
            _("“%(name)s” is now the primary client of this project.")
            % {"name": link.company.name},
        )
    return _back(request, project, company_id)


@project_permission(PROJECT_EDIT, staff_only=True)
@get_or_post
def company_remove(request: PortalRequest, project: Project, company_id: int) -> HttpResponse:
    """PC5: a confirmation that says what happens, then the company leaves the project."""
    project = _in_portal(request, project)
    link = _link(project, company_id)
    if request.method == "POST":
        try:
            project_clients.project_client_remove(
                project=project, company=link.company, actor=request.membership.user
            )
        except ValidationError as error:
            report_errors(request, error)
        else:
            messages.success(
                request,
                _("“%(name)s” is no longer a client of this project.")
                % {"name": link.company.name},
            )
        return _back(request, project)
    people = list(selectors.project_client_members(project=project, company=link.company))
    return render(
        request,
        "clients/project_client_remove.html",
        {
            "project": project,
            "link": link,
            "company": link.company,
            "people": people,
            "customised": any(getattr(member, "is_customised", False) for member in people),
        },
    )


@project_permission(PROJECT_EDIT, staff_only=True)
@get_or_post
def users_add(request: PortalRequest, project: Project, company_id: int) -> HttpResponse:
    """PC6: tick client users of the company (a page at a time, searchable) and/or list
    new people by email, then add them all in one step (new people get invitations, CU2);
    or add everyone of the company not on the project who matches the search, however
    many, without a field per person (the service finds them when it adds them)."""
    project = _in_portal(request, project)
    company = _portal_company(request, company_id)
    if selectors.project_client_link(project=project, company_id=company.pk) is None:
        # The decision of this tab (project_clients module docstring): add the company first.
        messages.error(
            request,
            _("“%(name)s” is not a client of this project: add the company to the project first.")
            % {"name": company.name},
        )
        return _back(request, project)
    rates_apply = selectors.project_rates_apply(project=project)
    everyone = request.method == "POST" and "everyone" in request.POST
    form = ProjectUsersAddForm(
        None if everyone else posted(request),
        project=project,
        company=company,
        rates_apply=rates_apply,
    )
    everyone_form = ProjectUsersEveryoneForm(request.POST if everyone else None)
    refuse_outside_scope(form)  # another portal's people, posted by hand: 404
    # The search is the page's address (the forms post to it): what is shown is what
    # "everyone matching" adds.
    search_form = ClientUserSearchForm(request.GET)
    search = search_form.cleaned_data["q"] if search_form.is_valid() else ""
    added: list[Membership] | None = None
    if everyone and not search_form.is_valid():
        everyone_form.add_error(None, _("Correct the search first: nobody was added."))
    elif everyone and everyone_form.is_valid():
        try:
            added = project_clients.project_client_users_add_matching(
                project=project, company=company, actor=request.membership.user, search=search
            )
        except ValidationError as error:
            apply_service_errors(everyone_form, error)
    elif not everyone and form.is_valid():
        try:
            added = project_clients.project_client_users_add(
                project=project,
                company=company,
                actor=request.membership.user,
                members=form.cleaned_data["members"],
                new_people=form.new_people(),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
    if added is not None:
        if added:
            count = len(added)
            messages.success(
                request,
                ngettext(
                    "%(count)s person added to the project: %(people)s.",
                    "%(count)s people added to the project: %(people)s.",
                    count,
                )
                % {
                    "count": formats.number_format(count, force_grouping=True),
                    "people": some_names([person.user.display_name for person in added]),
                },
            )
        else:
            messages.info(request, _("Nobody added: they are all on the project already."))
        return _back(request, project, company.pk)
    candidates = selectors.project_client_user_candidates(
        project=project, company=company, search=search
    )
    page = paginate(request, candidates, CANDIDATES_PER_PAGE)
    return render(
        request,
        "clients/project_users_add.html",
        {
            "project": project,
            "company": company,
            "form": form,
            "everyone_form": everyone_form,
            "search_form": search_form,
            "search": search,
            "page": page,
            "ticked": read_ids(request.POST, "members") if form.is_bound else set(),
            "matching": formats.number_format(page.paginator.count, force_grouping=True),
        },
    )


@project_permission(PROJECT_EDIT, staff_only=True)
@get_or_post
def user_edit(request: PortalRequest, project: Project, membership_id: int) -> HttpResponse:
    """PC7: the client user's rate on this project (CU9: where the project bills staff
    hours; elsewhere the page says there is none)."""
    project = _in_portal(request, project)
    member = _member(project, membership_id)
    rates_apply = selectors.project_rates_apply(project=project)
    form = ProjectMemberRateForm(posted(request), initial={"hourly_rate": member.hourly_rate})
    if form.is_valid():
        try:
            project_clients.project_member_rate_update(
                project=project,
                member=member,
                rate=form.cleaned_data["hourly_rate"],
                actor=request.membership.user,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Rate of %(name)s on this project saved.")
                % {"name": member.membership.user.display_name},
            )
            return _back(request, project, member.membership.client_company_id)
    return render(
        request,
        "clients/project_user_edit.html",
        {"project": project, "member": member, "form": form, "rates_apply": rates_apply},
    )


@project_permission(PROJECT_EDIT, staff_only=True)
@get_or_post
def user_remove(request: PortalRequest, project: Project, membership_id: int) -> HttpResponse:
    """PC8: take a client user off the project, optionally telling them by email."""
    project = _in_portal(request, project)
    member = _member(project, membership_id)
    form = ProjectUserRemoveForm(posted(request))
    if form.is_valid():
        try:
            project_clients.project_client_user_remove(
                project=project,
                member=member,
                actor=request.membership.user,
                notify=form.cleaned_data["notify"],
            )
        except ValidationError as error:
            report_errors(request, error)
        else:
            messages.success(
                request,
                _("%(name)s no longer has access to this project.")
                % {"name": member.membership.user.display_name},
            )
        company_id = member.membership.client_company_id
        if company_id and selectors.project_client_link(project=project, company_id=company_id):
            return _back(request, project, company_id)
        # Their company is not a client (a person left over from it): the whole tab.
        return _back(request, project)
    return render(
        request,
        "clients/project_user_remove.html",
        {"project": project, "member": member, "form": form},
    )
