"""Two-factor pages: the sign-in's second step, and the account's "Two-factor sign-in" pages.

The second step: after a right password, a person with two-factor sign-in is
not signed in yet. The session holds who they are, where they were going and
when the password was right; a right code within `PENDING_SECONDS` signs them
in (`login()` rotates the session key) and marks the session verified
(`django_otp.login`). Each wrong code is a sign-in failure for django-axes
(the `user_login_failed` signal, as a wrong password is), so the lock-out
covers both steps; and after `MAX_CODE_FAILURES` wrong codes the pending
sign-in is dropped and must start again from the password.
"""

from __future__ import annotations

import time
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_otp import login as otp_login

from portail.accounts import twofactor
from portail.accounts.models import User
from portail.accounts.selectors import active_user
from portail.accounts.twofactor_forms import AppCodeForm, PasswordOrCodeForm, SignInCodeForm
from portail.web import get_or_post, posted

PENDING_KEY = "twofactor_pending"
PENDING_SECONDS = 5 * 60
MAX_CODE_FAILURES = 5


def signin_pending_start(request: HttpRequest, *, user: User, next_url: str) -> HttpResponse:
    """The password was right and the person has two-factor sign-in: ask for a code.

    Called by the sign-in view instead of `login()`; nobody is signed in yet."""
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[-1]),
        "next": next_url,
        "since": time.time(),
        "failures": 0,
    }
    return redirect("accounts:signin-code")


def _drop_pending(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


def _credentials(user: User) -> dict[str, str]:
    """What django-axes counts failures against (with the client address)."""
    return {"username": user.email}


def _count_failure(request: HttpRequest, user: User) -> None:
    user_login_failed.send(sender=__name__, credentials=_credentials(user), request=request)


def _locked_out(request: HttpRequest, user: User) -> HttpResponse:
    """django-axes' answer to a locked-out person (429, the lock-out page)."""
    response: HttpResponse = get_lockout_response(request, None, _credentials(user))
    return response


def _wait_error(seconds: int) -> str:
    return ngettext(
        "Too many wrong codes in a row: wait %(seconds)d second before the next one.",
        "Too many wrong codes in a row: wait %(seconds)d seconds before the next one.",
        seconds,
    ) % {"seconds": seconds}


@never_cache
@get_or_post
def signin_code(request: HttpRequest) -> HttpResponse:
    pending: dict[str, Any] | None = request.session.get(PENDING_KEY)
    if pending is None:
        return redirect("accounts:signin")
    if time.time() - float(pending["since"]) > PENDING_SECONDS:
        _drop_pending(request)
        messages.error(request, _("Sign-in took more than 5 minutes. Start again."))
        return redirect("accounts:signin")
    user = active_user(user_id=pending["user"])
    if user is None:
        _drop_pending(request)
        return redirect("accounts:signin")
    if not AxesProxyHandler.is_allowed(request, _credentials(user)):
        _drop_pending(request)
        return _locked_out(request, user)

    form = SignInCodeForm(posted(request))
    if request.method == "POST" and form.is_valid():
        result = twofactor.two_factor_verify(user=user, code=form.cleaned_data["code"])
        if result.device is not None:
            _drop_pending(request)
            login(request, user, backend=pending["backend"])
            otp_login(request, result.device)
            return redirect(resolve_url(pending["next"] or settings.LOGIN_REDIRECT_URL))
        if result.wait_seconds:
            form.add_error("code", _wait_error(result.wait_seconds))
        else:
            _count_failure(request, user)
            pending["failures"] = int(pending["failures"]) + 1
            if pending["failures"] >= MAX_CODE_FAILURES:
                _drop_pending(request)
                messages.error(request, _("Too many wrong codes. Sign in again."))
                return redirect("accounts:signin")
            request.session[PENDING_KEY] = pending
            form.add_error("code", _("That code is not right. Check it and try again."))
    return render(request, "accounts/signin_code.html", {"form": form})


@login_required
@require_safe
def two_factor(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    enabled = twofactor.two_factor_enabled(user=user)
    return render(
        request,
        "accounts/two_factor.html",
        {
            "enabled": enabled,
            "verified": twofactor.session_verified(request),
            "codes_left": twofactor.recovery_codes_left(user=user) if enabled else 0,
        },
    )


@never_cache
@login_required
@get_or_post
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if twofactor.two_factor_enabled(user=user):
        return redirect("accounts:two-factor")
    device = twofactor.totp_device_for_setup(user=user)
    form = AppCodeForm(posted(request))
    if request.method == "POST" and form.is_valid():
        codes = twofactor.two_factor_confirm(
            user=user, device=device, code=form.cleaned_data["code"]
        )
        if codes is not None:
            otp_login(request, device)
            return _show_recovery_codes(request, codes, _("Two-factor sign-in is on."))
        form.add_error(
            "code", _("That code is not right. Check the clock of your phone and try again.")
        )
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr": twofactor.totp_qr_svg(device, title=_("QR code for your authenticator app")),
            "secret": twofactor.totp_secret(device),
        },
    )


def _show_recovery_codes(request: HttpRequest, codes: list[str], heading: str) -> HttpResponse:
    """Shown once, in the answer to the POST that made them: they are stored only hashed."""
    return render(request, "accounts/two_factor_codes.html", {"codes": codes, "heading": heading})


@never_cache
@login_required
@get_or_post
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """Confirm a session signed in without a code (before two-factor was turned on elsewhere)."""
    user: User = request.user  # type: ignore[assignment]
    if not twofactor.two_factor_enabled(user=user) or twofactor.session_verified(request):
        return redirect("accounts:two-factor")
    if not AxesProxyHandler.is_allowed(request, _credentials(user)):
        return _locked_out(request, user)
    form = SignInCodeForm(posted(request))
    if request.method == "POST" and form.is_valid():
        result = twofactor.two_factor_verify(user=user, code=form.cleaned_data["code"])
        if result.device is not None:
            otp_login(request, result.device)
            messages.success(request, _("This session is confirmed."))
            return redirect("home")
        if result.wait_seconds:
            form.add_error("code", _wait_error(result.wait_seconds))
        else:
            _count_failure(request, user)
            form.add_error("code", _("That code is not right. Check it and try again."))
    return render(request, "accounts/two_factor_verify.html", {"form": form})


def _change_refused(request: HttpRequest, user: User) -> HttpResponse | None:
    """Why a change to two-factor sign-in cannot even be asked for: it is off (back to
    its page), or the person is locked out (the lock-out page); None when it can."""
    if not twofactor.two_factor_enabled(user=user):
        return redirect("accounts:two-factor")
    if not AxesProxyHandler.is_allowed(request, _credentials(user)):
        return _locked_out(request, user)
    return None


def _confirmed_change(request: HttpRequest) -> tuple[PasswordOrCodeForm, bool]:
    """The password-or-code form of a change; True when it was posted and is right."""
    user: User = request.user  # type: ignore[assignment]
    form = PasswordOrCodeForm(posted(request))
    if request.method != "POST" or not form.is_valid():
        return form, False
    if twofactor.password_or_code_matches(user=user, secret=form.cleaned_data["secret"]):
        return form, True
    _count_failure(request, user)
    form.add_error("secret", _("That is neither your password nor a current code."))
    return form, False


@never_cache
@login_required
@get_or_post
def two_factor_recovery_codes(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    refused = _change_refused(request, user)
    if refused is not None:
        return refused
    form, confirmed = _confirmed_change(request)
    if confirmed:
        codes = twofactor.recovery_codes_regenerate(user=user)
        return _show_recovery_codes(request, codes, _("New recovery codes"))
    return render(request, "accounts/two_factor_regenerate.html", {"form": form})


@never_cache
@login_required
@get_or_post
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    refused = _change_refused(request, user)
    if refused is not None:
        return refused
    form, confirmed = _confirmed_change(request)
    if confirmed:
        twofactor.two_factor_disable(user=user)
        messages.success(request, _("Two-factor sign-in is off."))
        return redirect("accounts:two-factor")
    return render(request, "accounts/two_factor_disable.html", {"form": form})


@require_safe
def admin_signin(request: HttpRequest) -> HttpResponse:
    """The Django admin's sign-in page, answered by Portail's own (password, then code).

    The admin's form would sign people in with their password alone, past the
    second factor. Signed-in admin users go on; anybody else signed in is refused
    (sending them to sign in would loop: they are signed in already).
    """
    wanted = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        wanted = ""
    if not request.user.is_authenticated:
        return redirect_to_login(wanted or reverse("admin:index"))
    if request.user.is_active and request.user.is_staff:
        return redirect(wanted or reverse("admin:index"))
    raise PermissionDenied
