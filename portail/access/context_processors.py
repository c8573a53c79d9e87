from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from portail.access.portal import portal_abilities


def abilities(request: HttpRequest) -> dict[str, Any]:
    """`portal_may.<action>` for the navigation: what the person may do in this portal."""
    return {"portal_may": portal_abilities(getattr(request, "membership", None))}
