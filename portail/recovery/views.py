"""The password-reset pages: ask for a link, then set a new password with it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from portail.recovery import services
from portail.recovery.forms import PasswordResetRequestForm, SetPasswordForm
from portail.web import get_or_post


@get_or_post
def password_reset_request(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_reset_request(email=form.cleaned_data["email"])
        # The same answer whether or not the address has an account.
        return render(
            request, "accounts/password_reset_sent.html", {"email": form.cleaned_data["email"]}
        )
    return render(request, "accounts/password_reset_request.html", {"form": form})


@get_or_post
def password_reset_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the form and spends nothing (mail scanners open links); POST spends it."""
    try:
        services.password_reset_token_valid(raw_token=token)
    except services.InvalidResetLink:
        return render(request, "accounts/password_reset_invalid.html", status=410)
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_reset_complete(
                raw_token=token, new_password=form.cleaned_data["new_password1"]
            )
        except services.InvalidResetLink:
            return render(request, "accounts/password_reset_invalid.html", status=410)
        except ValidationError as error:
            form.add_error("new_password1", error)
        else:
            messages.success(request, _("Your password has been set. Sign in with it now."))
            return redirect("accounts:signin")
    return render(request, "accounts/password_reset_confirm.html", {"form": form})
