from __future__ import annotations

import time
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from portail.accounts.models import User
from portail.accounts.sessions import session_expired, session_stamp


class SessionLimitsMiddleware:
    """A session unused for SESSION_IDLE_TIMEOUT, or older than SESSION_ABSOLUTE_LIFETIME,
    is ended: the person is sent to sign in, told why (htmx requests get an HX-Redirect,
    so the whole page goes there rather than a fragment).

    After the view, a signed-in session (including the one a sign-in just made) is
    stamped with its sign-in time and last use: see portail.accounts.sessions.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        now = time.time()
        if request.user.is_authenticated and session_expired(request.session, now):
            logout(request)
            messages.info(request, _("Your session expired, please sign in again."))
            return self._to_sign_in(request)
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if isinstance(user, User) and user.is_authenticated:
            session_stamp(session=request.session, now=now)
        return response

    @staticmethod
    def _to_sign_in(request: HttpRequest) -> HttpResponse:
        htmx = HtmxDetails(request)
        if htmx:
            # Back to the page the person was on, not to the fragment it asked for.
            to_sign_in = redirect_to_login(htmx.current_url_abs_path or "/")
            return HttpResponseClientRedirect(to_sign_in["Location"])
        return redirect_to_login(request.get_full_path())


class UserLanguageMiddleware:
    """A signed-in person reads pages in their preferred language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)
