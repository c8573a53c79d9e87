"""Client profile pages, for portal admins (RULES PE1, PE6). Thin: access is declared by
decorator, reads come from selectors, every change goes through a service in a POST.
No page writes on a GET: the list shows the built-in profile even before its row exists
(`profile_selectors.client_profile_list`).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from portail.access import profile_selectors as selectors
from portail.access import profiles as profile_services
from portail.access.catalogue import ACTION_LABELS
from portail.access.forms import (
    GRID_ACTIONS,
    PermissionGridForm,
    ProfileCreateForm,
    ProfileNameForm,
)
from portail.access.models import ClientProfile
from portail.access.permissions import MANAGE_PROFILES
from portail.feedback import report_errors
from portail.portals.decorators import PortalRequest
from portail.portals.roles import portal_permission
from portail.web import apply_service_errors, get_or_post, posted, read_id


def _list_url(request: PortalRequest) -> str:
    return reverse("access:profiles", kwargs={"portal_slug": request.portal.slug})


def _profile(request: PortalRequest, profile_id: int) -> ClientProfile:
    """A profile of this portal, with its `user_count`; another portal's is 404."""
    profile = selectors.client_profile(portal=request.portal, profile_id=profile_id)
    if profile is None:
        raise Http404
    return profile


@portal_permission(MANAGE_PROFILES)
@require_safe
def profile_list(request: PortalRequest) -> HttpResponse:
    profiles = selectors.client_profile_list(portal=request.portal)
    return render(request, "access/profile_list.html", {"profiles": profiles})


@portal_permission(MANAGE_PROFILES)
@get_or_post
def profile_create(request: PortalRequest) -> HttpResponse:
    portal = request.portal
    choices = selectors.client_profile_choices(portal=portal)
    # An id of another portal's profile, by hand, answers 404 (no form error confirming
    # it exists); a malformed value is left to the form.
    source = read_id(request.POST if request.method == "POST" else request.GET, "clone_of")
    if source is not None and selectors.client_profile(portal=portal, profile_id=source) is None:
        raise Http404
    initial = {"clone_of": source} if source is not None else {}
    form = ProfileCreateForm(posted(request), profiles=choices, initial=initial)
    if form.is_valid():
        try:
            profile = profile_services.client_profile_create(
                portal=portal,
                actor=request.membership.user,
                name=form.cleaned_data["name"],
                clone_of=form.cleaned_data["clone_of"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Client profile “%(name)s” added. Choose what its client users may do.")
                % {"name": profile.name},
            )
            return HttpResponseRedirect(
                reverse(
                    "access:profile-permissions",
                    kwargs={"portal_slug": portal.slug, "profile_id": profile.pk},
                )
            )
    return render(request, "access/profile_form.html", {"form": form, "profile": None})


@portal_permission(MANAGE_PROFILES)
@get_or_post
def profile_rename(request: PortalRequest, profile_id: int) -> HttpResponse:
    profile = _profile(request, profile_id)
    form = ProfileNameForm(posted(request), initial={"name": profile.name})
    if form.is_valid():
        try:
            profile_services.client_profile_rename(
                profile=profile, actor=request.membership.user, name=form.cleaned_data["name"]
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Client profile renamed."))
            return HttpResponseRedirect(_list_url(request))
    return render(request, "access/profile_form.html", {"form": form, "profile": profile})


@portal_permission(MANAGE_PROFILES)
@get_or_post
def profile_permissions(request: PortalRequest, profile_id: int) -> HttpResponse:
    profile = _profile(request, profile_id)
    form = PermissionGridForm(posted(request), profile=profile)
    if form.is_valid():
        try:
            profile_services.client_profile_set_permissions(
                profile=profile, actor=request.membership.user, permissions=form.permissions()
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            count = getattr(profile, "user_count", 0)
            messages.success(
                request,
                ngettext(
                    "Permissions of “%(name)s” saved: they apply at once to its %(count)d "
                    "client user.",
                    "Permissions of “%(name)s” saved: they apply at once to its %(count)d "
                    "client users.",
                    count,
                )
                % {"name": profile.name, "count": count},
            )
            return HttpResponseRedirect(_list_url(request))
    return render(
        request,
        "access/profile_permissions.html",
        {
            "form": form,
            "profile": profile,
            "rows": form.rows(),
            "columns": [ACTION_LABELS[action] for action in GRID_ACTIONS],
        },
    )


@portal_permission(MANAGE_PROFILES)
@require_POST
def profile_set_default(request: PortalRequest, profile_id: int) -> HttpResponse:
    profile = _profile(request, profile_id)
    try:
        profile_services.client_profile_set_default(profile=profile, actor=request.membership.user)
    except ValidationError as error:
        report_errors(request, error)
    else:
        messages.success(
            request,
            _("New client users now get “%(name)s” unless you choose another profile.")
            % {"name": profile.name},
        )
    return HttpResponseRedirect(_list_url(request))


@portal_permission(MANAGE_PROFILES)
@get_or_post
def profile_delete(request: PortalRequest, profile_id: int) -> HttpResponse:
    profile = _profile(request, profile_id)
    if request.method == "POST":
        try:
            profile_services.client_profile_delete(profile=profile, actor=request.membership.user)
        except ValidationError as error:
            report_errors(request, error)
        else:
            messages.success(
                request, _("Client profile “%(name)s” deleted.") % {"name": profile.name}
            )
        return HttpResponseRedirect(_list_url(request))
    return render(request, "access/profile_delete.html", {"profile": profile})
