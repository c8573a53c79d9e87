"""A client user's permissions in one project, for the project's staff (RULES PE2-PE4, PE7).

Thin: `project_permission(PROJECT_EDIT, staff_only=True)` loads the project from the
person's portal (clients and staff who may not see the project get 404); the client
member is then looked up *in that project* (anyone else is 404); every change goes
through a service in a POST.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from portail.access import customisations
from portail.access import member_selectors as selectors
from portail.access.catalogue import ACTION_LABELS
from portail.access.decorators import project_permission
from portail.access.forms import (
    CANDIDATES_PER_PAGE,
    GRID_ACTIONS,
    CloneEveryoneForm,
    CloneFilterForm,
    CloneForm,
    PermissionGridForm,
)
from portail.access.models import PermissionOverride
from portail.feedback import report_errors
from portail.names import some_names
from portail.portals.decorators import PortalRequest
from portail.projects.models import Project, ProjectMember
from portail.projects.permissions import PROJECT_EDIT
from portail.web import apply_service_errors, get_or_post, paginate, posted, read_ids


def _member(request: PortalRequest, project: Project, membership_id: int) -> ProjectMember:
    """The project's client member; anyone else (staff, someone not there) is 404."""
    member = selectors.client_member(
        portal=request.portal, project=project, membership_id=membership_id
    )
    if member is None:
        raise Http404
    return member


def _member_url(member: ProjectMember, name: str = "show") -> str:
    """A page of this client member's permissions: "show" (their permissions), "clone"."""
    return reverse(
        f"member-permissions:{name}",
        kwargs={
            "portal_slug": member.portal.slug,
            "project_id": member.project_id,
            "membership_id": member.membership_id,
        },
    )


def _context(member: ProjectMember, **extra: Any) -> dict[str, Any]:
    return {
        "project": member.project,
        "member": member,
        "person": member.membership.user,
        "company": member.membership.client_company,
        "profile": member.membership.client_profile,
        "override": selectors.override_of(member),
        "is_customisable": member.membership.status in selectors.CUSTOMISABLE_STATUSES,
        "columns": [ACTION_LABELS[action] for action in GRID_ACTIONS],
        **extra,
    }


@project_permission(PROJECT_EDIT, staff_only=True)
@require_safe
def member_permissions(
    request: PortalRequest, project: Project, membership_id: int
) -> HttpResponse:
    """PE7: the effective permissions and what the customisation changes from the profile."""
    member = _member(request, project, membership_id)
    diff = selectors.permission_diff(member)
    return render(
        request,
        "access/member_permissions.html",
        _context(member, diff=diff, rows=diff.rows(), changed=diff.changed),
    )


@project_permission(PROJECT_EDIT, staff_only=True)
@get_or_post
def member_customise(request: PortalRequest, project: Project, membership_id: int) -> HttpResponse:
    """PE2: the grid, pre-filled with the effective permissions; saving stores them whole."""
    member = _member(request, project, membership_id)
    form = PermissionGridForm(
        posted(request),
        permissions=selectors.effective_set(member),
    )
    if form.is_valid():
        try:
            customisations.member_permissions_customise(
                member=member, permissions=form.permissions(), actor=request.membership.user
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Permissions of %(name)s customised in this project.")
                % {"name": member.membership.user.display_name},
            )
            return HttpResponseRedirect(_member_url(member))
    return render(
        request, "access/member_customise.html", _context(member, form=form, rows=form.rows())
    )


@project_permission(PROJECT_EDIT, staff_only=True)
@get_or_post
def member_clone(request: PortalRequest, project: Project, membership_id: int) -> HttpResponse:
    """PE3: copy this person's customisation to the client users ticked on the page shown
    (listed a page at a time, searchable by name or email, filtered by company), or to
    everyone the search and filter match, however many, without a field per person (the
    service finds them when it copies)."""
    member = _member(request, project, membership_id)
    # The search and filter are the page's address (the forms post to it): what is
    # shown is what "everyone matching" copies to.
    filters = CloneFilterForm(request.GET, companies=selectors.clone_companies(source=member))
    if filters.unknown_company():
        if request.method == "POST":
            # Shown, then its last client user left the project: say so, copy nothing.
            messages.error(
                request,
                _("Nobody of that company can receive the copy any more: nothing was copied."),
            )
            return HttpResponseRedirect(_member_url(member, "clone"))
        raise Http404  # not a company of this project's client users (another portal's...)
    search, company_id = filters.filters()
    everyone = request.method == "POST" and "everyone" in request.POST
    form = CloneForm(
        None if everyone else posted(request),
        candidates=selectors.clone_candidates(source=member),
    )
    everyone_form = CloneEveryoneForm(request.POST if everyone else None)
    copies: list[PermissionOverride] | None = None
    if everyone and not filters.is_valid():
        everyone_form.add_error(None, _("Correct the search first: nothing was copied."))
    elif everyone and everyone_form.is_valid():
        try:
            copies = customisations.member_permissions_clone_matching(
                source=member, actor=request.membership.user, search=search, company_id=company_id
            )
        except ValidationError as error:
            apply_service_errors(everyone_form, error)
    elif not everyone and form.is_valid():
        try:
            copies = customisations.member_permissions_clone(
                source=member, targets=form.cleaned_data["targets"], actor=request.membership.user
            )
        except ValidationError as error:
            apply_service_errors(form, error)
    if copies is not None:
        messages.success(
            request,
            ngettext(
                "Customisation of %(name)s copied to %(count)s client user: %(people)s.",
                "Customisation of %(name)s copied to %(count)s client users: %(people)s.",
                len(copies),
            )
            % {
                "name": member.membership.user.display_name,
                "count": formats.number_format(len(copies), force_grouping=True),
                "people": some_names([c.member.membership.user.display_name for c in copies]),
            },
        )
        return HttpResponseRedirect(_member_url(member))
    candidates = selectors.clone_candidates(source=member, search=search, company_id=company_id)
    page = paginate(request, candidates, CANDIDATES_PER_PAGE)
    return render(
        request,
        "access/member_clone.html",
        _context(
            member,
            form=form,
            filters=filters,
            filtered=filters.is_filtered(),
            everyone_form=everyone_form,
            page=page,
            ticked=read_ids(request.POST, "targets") if form.is_bound else set(),
            matching=formats.number_format(page.paginator.count, force_grouping=True),
        ),
    )


@project_permission(PROJECT_EDIT, staff_only=True)
@require_POST
def member_reset(request: PortalRequest, project: Project, membership_id: int) -> HttpResponse:
    """PE4: remove the customisation; the person has their profile's permissions again."""
    member = _member(request, project, membership_id)
    try:
        customisations.member_permissions_reset(member=member, actor=request.membership.user)
    except ValidationError as error:
        report_errors(request, error)
    else:
        profile = member.membership.client_profile
        messages.success(
            request,
            _(
                "Customisation removed: %(name)s has the permissions of the profile "
                "“%(profile)s” again."
            )
            % {
                "name": member.membership.user.display_name,
                "profile": profile.name if profile is not None else "",
            },
        )
    return HttpResponseRedirect(_member_url(member))
