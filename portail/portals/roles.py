"""What a staff role may do across a portal ("may this person create projects here?").

Each app declares its portal actions, with the roles allowed, in its `permissions.py`
(portail/registry.py); this module answers for one person. It knows portals and
memberships only, so the pages of every app may ask it, down to the audit log and the
outbox. Project-level questions are answered by `portail.access.gate`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from portail.portals.decorators import View, current_membership
from portail.portals.models import Membership
from portail.registry import PortalAction, registry


def can_portal(membership: Membership | None, action: PortalAction) -> bool:
    """Active staff whose role the action names; never a client user."""
    if membership is None or not membership.is_active or not membership.is_staff:
        return False
    return membership.role in registry.portal_action_for(action.code).roles


def portal_abilities(membership: Membership | None) -> dict[str, bool]:
    """Every portal-level answer for one person, keyed for templates (`portal_may.view_outbox`)."""
    return {
        action.name: can_portal(membership, action) for action in registry.portal_actions.values()
    }


def portal_permission(action: PortalAction) -> Callable[[View], View]:
    """Declare that a portal-level view needs `action`; else 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            kwargs.pop("portal_slug", None)
            if not can_portal(current_membership(request), action):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.required_permission = str(action)  # type: ignore[attr-defined]
        return wrapper

    return decorator
