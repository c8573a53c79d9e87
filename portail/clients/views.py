"""Client company pages, for portal admins (RULES CC1-CC4). Thin: access is declared by
decorator, reads come from selectors, every change goes through a service in a POST.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from portail.access.portal import PortalAction, portal_permission
from portail.clients import selectors, services
from portail.clients.forms import CompanyForm, CompanySearchForm, apply_service_errors
from portail.clients.models import ClientCompany
from portail.portals.decorators import PortalRequest

COMPANIES_PER_PAGE = 50

get_or_post = require_http_methods(["GET", "POST"])


def _list_url(request: PortalRequest) -> str:
    return reverse("clients:companies", kwargs={"portal_slug": request.portal.slug})


def _company(request: PortalRequest, company_id: int) -> ClientCompany:
    """A live company of this portal; another portal's or a deleted one is 404."""
    return get_object_or_404(selectors.companies(portal=request.portal), pk=company_id)


def _posted(request: PortalRequest) -> Any:
    return request.POST if request.method == "POST" else None


@portal_permission(PortalAction.MANAGE_CLIENTS)
@require_GET
def company_list(request: PortalRequest) -> HttpResponse:
    search_form = CompanySearchForm(request.GET)
    search = search_form.cleaned_data["q"] if search_form.is_valid() else ""
    found = selectors.companies(portal=request.portal, search=search)
    page = Paginator(found, COMPANIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "clients/company_list.html",
        {"search_form": search_form, "search": search, "page": page, "companies": page.object_list},
    )


@portal_permission(PortalAction.MANAGE_CLIENTS)
@get_or_post
def company_create(request: PortalRequest) -> HttpResponse:
    form = CompanyForm(_posted(request), portal=request.portal)
    if form.is_valid():
        try:
            company = services.company_create(
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


@portal_permission(PortalAction.MANAGE_CLIENTS)
@get_or_post
def company_edit(request: PortalRequest, company_id: int) -> HttpResponse:
    company = _company(request, company_id)
    form = CompanyForm(_posted(request), portal=request.portal, company=company)
    if form.is_valid():
        try:
            services.company_update(
                company=company, actor=request.membership.user, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Client company saved."))
            return HttpResponseRedirect(_list_url(request))
    return render(request, "clients/company_form.html", {"form": form, "company": company})


@portal_permission(PortalAction.MANAGE_CLIENTS)
@get_or_post
def company_delete(request: PortalRequest, company_id: int) -> HttpResponse:
    company = _company(request, company_id)
    if request.method == "POST":
        try:
            services.company_delete(company=company, actor=request.membership.user)
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
