"""Portal-level questions ("may this person create projects here?").

They are separate from project-level ones (STYLE.md, 4): this module knows
portals and memberships only, so low apps (notifications) may ask it without
pulling in projects. Project-level questions are in `portail.access.rules`.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from portail.portals.decorators import View, current_membership
from portail.portals.models import Membership, StaffRole


class PortalAction(StrEnum):
    CREATE_PROJECTS = "portal.create_projects"
    VIEW_OUTBOX = "portal.view_outbox"
    VIEW_AUDIT = "portal.view_audit"
    MANAGE_CLIENTS = "portal.manage_clients"
    MANAGE_PROFILES = "portal.manage_profiles"
    UNLOCK_SIGNIN = "portal.unlock_signin"
    MANAGE_SECURITY = "portal.manage_security"


def can_portal(membership: Membership | None, action: PortalAction) -> bool:
    """Admin-only unless a rule says otherwise; projects are created by admins and managers."""
    if membership is None or not membership.is_active or not membership.is_staff:
        return False
    if action == PortalAction.CREATE_PROJECTS:
        return membership.role in (StaffRole.ADMIN, StaffRole.MANAGER)
    return membership.role == StaffRole.ADMIN


def portal_abilities(membership: Membership | None) -> dict[str, bool]:
    """Every portal-level answer for one person, keyed for templates (`portal_may.view_outbox`)."""
    return {action.name.lower(): can_portal(membership, action) for action in PortalAction}


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
