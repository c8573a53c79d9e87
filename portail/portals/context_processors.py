from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from portail.portals.selectors import memberships_for_user


def portal(request: HttpRequest) -> dict[str, Any]:
    """The current portal and membership, and a lazy list of the person's portals."""
    user = getattr(request, "user", None)
    return {
        "portal": getattr(request, "portal", None),
        "membership": getattr(request, "membership", None),
        "my_memberships": (
            (lambda: list(memberships_for_user(user=user)))
            if user is not None and user.is_authenticated
            else list
        ),
    }
