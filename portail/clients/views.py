"""Client company pages, for portal admins (RULES CC1-CC4). Thin: access is declared by
decorator, reads come from selectors, every change goes through a service in a POST.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from portail.clients import client_users, companies, list_rows, selectors
from portail.clients.forms import (
    ClientUserEditForm,
    ClientUserFilterForm,
    ClientUserForm,
    ClientUserRemoveForm,
    CompanyForm,
    CompanySearchForm,
    CompanyUsersForm,
)
from portail.clients.invitation_selectors import invitation_states
from portail.clients.models import ClientCompany
from portail.clients.permissions import MANAGE_CLIENTS
from portail.portals.decorators import PortalRequest
from portail.portals.models import Membership, MembershipStatus
from portail.portals.roles import portal_permission
from portail.web import (
    apply_service_errors,
    get_or_post,
    paginate,
    posted,
    read_id,
    refuse_outside_scope,
)

COMPANIES_PER_PAGE = 50


def _list_url(request: PortalRequest) -> str:
    return reverse("clients:companies", kwargs={"portal_slug": request.portal.slug})


def _company(request: PortalRequest, company_id: int) -> ClientCompany:
    """A live company of this portal; another portal's or a deleted one is 404."""
    return get_object_or_404(selectors.companies(portal=request.portal), pk=company_id)


@portal_permission(MANAGE_CLIENTS)
@require_safe
def company_list(request: PortalRequest) -> HttpResponse:
    search_form = CompanySearchForm(request.GET)
    search = search_form.cleaned_data["q"] if search_form.is_valid() else ""
    found = selectors.companies(portal=request.portal, search=search)
    page = paginate(request, found, COMPANIES_PER_PAGE)
    return render(
        request,
        "clients/company_list.html",
        {"search_form": search_form, "search": search, "page": page, "companies": page.object_list},
    )


@portal_permission(MANAGE_CLIENTS)
@get_or_post
def company_create(request: PortalRequest) -> HttpResponse:
    form = CompanyForm(posted(request), portal=request.portal)
    if form.is_valid():
        try:
            company = companies.company_create(
                portal=request.portal, actor=request.membership.user, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request, _("Client company “%(name)s” added.") % {"name": company.name}
            )
            return HttpResponseRedirect(_list_url(request))
    return render(request, "clients/company_form.html", {"form": form, "company": None})


@portal_permission(MANAGE_CLIENTS)
@get_or_post
def company_edit(request: PortalRequest, company_id: int) -> HttpResponse:
    company = _company(request, company_id)
    form = CompanyForm(posted(request), portal=request.portal, company=company)
    if form.is_valid():
        try:
            companies.company_update(
                company=company, actor=request.membership.user, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Client company saved."))
            return HttpResponseRedirect(_list_url(request))
    return render(request, "clients/company_form.html", {"form": form, "company": company})


@portal_permission(MANAGE_CLIENTS)
@get_or_post
def company_delete(request: PortalRequest, company_id: int) -> HttpResponse:
    company = _company(request, company_id)
    if request.method == "POST":
        try:
            companies.company_delete(company=company, actor=request.membership.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request, _("Client company “%(name)s” deleted.") % {"name": company.name}
            )
        return HttpResponseRedirect(_list_url(request))
    return render(
        request,
        "clients/company_delete.html",
        {"company": company, "impact": selectors.company_delete_impact(company=company)},
    )


# Client users (RULES CU1, CU5-CU7, CC5) --------------------------------------------------

USERS_PER_PAGE = 50


def _users_url(request: PortalRequest) -> str:
    return reverse("clients:users", kwargs={"portal_slug": request.portal.slug})


def _client_user(request: PortalRequest, membership_id: int) -> Membership:
    """A client user of this portal who has not been removed; anything else is 404."""
    found = selectors.client_user(portal=request.portal, membership_id=membership_id)
    if found is None or found.status == MembershipStatus.DEACTIVATED:
        raise Http404
    return found


@portal_permission(MANAGE_CLIENTS)
@require_safe
def user_list(request: PortalRequest) -> HttpResponse:
    """The portal's client users by company (CU1, CU3, CU6, CU7, CU10), searchable (`q`)
    and filtered by company (`company`, one of the portal's; any other id is refused with
    a message and every company is shown). Rows come with their links (list_rows)."""
    search_form = ClientUserFilterForm(request.GET)
    search_form.is_valid()  # each field that is valid is used
    search = search_form.cleaned_data.get("q") or ""
    company = None
    company_refused = False
    if "company" in search_form.cleaned_data:
        company_id = search_form.cleaned_data["company"]
        if company_id is not None:
            company = selectors.portal_company(portal=request.portal, company_id=company_id)
            company_refused = company is None
    else:
        company_refused = True  # not an id
    found = selectors.client_users(
        portal=request.portal, search=search, company_id=company.pk if company else None
    )
    page = paginate(request, found, USERS_PER_PAGE)
    shown = list(page.object_list)
    states = invitation_states(portal=request.portal, membership_ids=[m.pk for m in shown])
    return render(
        request,
        "clients/user_list.html",
        {
            "search_form": search_form,
            "search": search,
            "company_filter": company,
            "company_refused": company_refused,
            "filtered": bool(search or company or company_refused),
            "page": page,
            "rows": list_rows.user_rows(
                portal_slug=request.portal.slug, people=shown, states=states
            ),
        },
    )


@portal_permission(MANAGE_CLIENTS)
@get_or_post
def user_add(request: PortalRequest) -> HttpResponse:
    portal = request.portal
    initial: dict[str, Any] = {
        # Called when the form shows, after a posted id of another portal was refused.
        "profile": lambda: client_users.client_profile_default(portal=portal).pk
    }
    chosen_company = read_id(request.GET, "company")
    if chosen_company is not None:
        initial["company"] = chosen_company
    form = ClientUserForm(posted(request), portal=portal, initial=initial)
    refuse_outside_scope(form)  # another portal's company or profile, posted by hand: 404
    if form.is_valid():
        data = form.cleaned_data
        try:
            membership = client_users.client_user_add(
                portal=portal,
                actor=request.membership.user,
                email=data["email"],
                full_name=data["full_name"],
                company=data["company"],
                new_company_name=data["new_company_name"],
                profile=data["profile"],
                hourly_rate=data.get("hourly_rate"),
                projects=data["projects"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(email)s is invited: the invitation email is on its way.")
                % {"email": membership.user.email},
            )
            return HttpResponseRedirect(_users_url(request))
    return render(request, "clients/user_form.html", {"form": form})


@portal_permission(MANAGE_CLIENTS)
@get_or_post
def company_users_add(request: PortalRequest, company_id: int) -> HttpResponse:
    company = _company(request, company_id)
    form = CompanyUsersForm(posted(request), portal=request.portal)
    if form.is_valid():
        data = form.cleaned_data
        try:
            added = client_users.client_users_add_to_company(
                company=company,
                actor=request.membership.user,
                emails=data["emails"],
                hourly_rate=data.get("hourly_rate"),
                projects=data["projects"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d person invited to %(company)s.",
                    "%(count)d people invited to %(company)s.",
                    len(added),
                )
                % {"count": len(added), "company": company.name},
            )
            return HttpResponseRedirect(_users_url(request))
    return render(request, "clients/company_users_form.html", {"form": form, "company": company})


@portal_permission(MANAGE_CLIENTS)
@get_or_post
def user_edit(request: PortalRequest, membership_id: int) -> HttpResponse:
    membership = _client_user(request, membership_id)
    rows = list(selectors.client_user_projects(membership=membership))
    form = ClientUserEditForm(posted(request), membership=membership, rows=rows)
    refuse_outside_scope(form)  # another portal's profile, posted by hand: 404
    if form.is_valid():
        data = form.cleaned_data
        try:
            client_users.client_user_update(
                membership=membership,
                actor=request.membership.user,
                profile=data["profile"],
                hourly_rate=data.get("hourly_rate", membership.hourly_rate),
                project_rates=form.project_rates(),
                add_projects=data["add_projects"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("%(email)s saved.") % {"email": membership.user.email})
            return HttpResponseRedirect(_users_url(request))
    return render(
        request,
        "clients/user_edit.html",
        {
            "form": form,
            "person": membership,
            "rows": rows,
            "rate_fields": [(row, form[name]) for row, name in form.rate_fields],
        },
    )


@portal_permission(MANAGE_CLIENTS)
@get_or_post
def user_remove(request: PortalRequest, membership_id: int) -> HttpResponse:
    membership = _client_user(request, membership_id)
    form = ClientUserRemoveForm(posted(request))
    if form.is_valid():
        try:
            client_users.client_user_remove(
                membership=membership,
                actor=request.membership.user,
                notify=form.cleaned_data["notify"],
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                _("%(email)s no longer has access to this portal.")
                % {"email": membership.user.email},
            )
        return HttpResponseRedirect(_users_url(request))
    projects = list(selectors.client_user_projects(membership=membership))
    return render(
        request,
        "clients/user_remove.html",
        {"form": form, "person": membership, "projects": projects},
    )
