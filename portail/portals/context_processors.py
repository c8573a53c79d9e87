from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from portail.portals.roles import portal_abilities
from portail.portals.selectors import memberships_for_user


def portal(request: HttpRequest) -> dict[str, Any]:
    """The current portal and membership, and the person's portals: those the portal
    middleware read for a portal page, else a lazy query."""
    user = getattr(request, "user", None)
    mine: Any = getattr(request, "portal_memberships", None)
    if mine is None:
        mine = (
            (lambda: list(memberships_for_user(user=user)))
            if user is not None and user.is_authenticated
            else list
        )
    return {
        "portal": getattr(request, "portal", None),
        "membership": getattr(request, "membership", None),
        "my_memberships": mine,
    }


def abilities(request: HttpRequest) -> dict[str, Any]:
    """`portal_may.<action>` for the navigation: what the person may do in this portal."""
    return {"portal_may": portal_abilities(getattr(request, "membership", None))}
