"""What every view under /p/<portal_slug>/ can count on, once PortalMiddleware ran."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django_htmx.middleware import HtmxDetails

from portail.portals.models import Membership, Portal

View = Callable[..., HttpResponse]


class PortalRequest(HttpRequest):
    """A request under /p/<portal_slug>/ once `PortalMiddleware` ran (for type checkers only)."""

    portal: Portal
    membership: Membership
    htmx: HtmxDetails


def current_membership(request: HttpRequest) -> Membership:
    """The membership the middleware resolved for this request."""
    membership: Membership | None = getattr(request, "membership", None)
    if membership is None:
        # Only reachable from a URL without <portal_slug>: a wiring mistake, answered as 404.
        raise Http404
    return membership


def portal_member(view: View) -> View:
    """Declare that a view is open to every member of the portal (what they see is filtered)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        kwargs.pop("portal_slug", None)
        current_membership(request)
        return view(request, *args, **kwargs)

    wrapper.required_permission = None  # type: ignore[attr-defined]
    return wrapper
