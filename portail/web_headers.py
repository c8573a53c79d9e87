"""Response headers Django does not send by itself: Permissions-Policy.

(Content-Security-Policy comes from django-csp; the others from Django's
SecurityMiddleware and XFrameOptionsMiddleware, all configured in settings.py.)
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def permissions_policy(denied: tuple[str, ...]) -> str:
    """The header value that denies each feature to every origin: `camera=(), usb=()`."""
    return ", ".join(f"{feature}=()" for feature in denied)


class PermissionsPolicyMiddleware:
    """Denies the browser features in settings.PERMISSIONS_POLICY_DENIED on every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = permissions_policy(tuple(settings.PERMISSIONS_POLICY_DENIED))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response
