"""Resolve the tenant once per request (pretix's PermissionMiddleware, in small).

For every URL under /p/<portal_slug>/ this loads the portal and the signed-in
person's active membership of it and puts both on the request. Someone who is
not signed in is sent to sign in; someone signed in without an active
membership gets 404, so nothing tells them the portal exists. A staff member
of a portal that requires two-factor sign-in, signed in without it, is sent to
their two-factor page (which, like sign-out, is outside /p/ and so reachable).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from portail.accounts.twofactor import session_verified
from portail.portals import selectors
from portail.portals.models import Membership


class PortalMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.portal = None  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        try:
            return self.get_response(request)
        finally:
            # A worker thread serves many portals: one's time zone must not leak to the next.
            timezone.deactivate()

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        slug = view_kwargs.get("portal_slug")
        if slug is None:
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        memberships = selectors.active_memberships(user=request.user)
        membership = next((m for m in memberships if m.portal.slug == slug), None)
        if membership is None:
            raise Http404
        if _needs_two_factor(request, membership):
            messages.warning(
                request,
                _(
                    "%(portal)s requires two-factor sign-in for its staff: "
                    "turn it on, or confirm this session with a code, to continue."
                )
                % {"portal": membership.portal.name},
            )
            return redirect("accounts:two-factor")
        request.portal = membership.portal  # type: ignore[attr-defined]
        request.membership = membership  # type: ignore[attr-defined]
        request.portal_memberships = memberships  # type: ignore[attr-defined]  # the switcher's
        if request.session.get("last_portal") != slug:
            request.session["last_portal"] = slug
        timezone.activate(membership.portal.time_zone)
        return None


def _needs_two_factor(request: HttpRequest, membership: Membership) -> bool:
    """Staff of a portal that requires it, in a session not verified by a second factor.
    Client users are not forced: the requirement is the portal's rule for its own staff."""
    return (
        membership.portal.require_staff_two_factor
        and membership.is_staff
        and not session_verified(request)
    )
