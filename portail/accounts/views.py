from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from portail.accounts import services, sessions
from portail.accounts.forms import PreferencesForm, SignInForm
from portail.accounts.models import User
from portail.accounts.twofactor import two_factor_enabled
from portail.accounts.twofactor_views import signin_pending_start
from portail.web import get_or_post


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "accounts/signin.html"
    redirect_authenticated_user = True
    http_method_names = ["get", "head", "post"]  # no PUT-as-POST, no OPTIONS

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # The method first: LoginView sends signed-in people home whatever they sent.
        if (request.method or "").lower() not in self.http_method_names:
            return self.http_method_not_allowed(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if two_factor_enabled(user=user):
            # Not signed in yet: the code step (twofactor_views.signin_code) finishes it.
            return signin_pending_start(self.request, user=user, next_url=self.get_redirect_url())
        return super().form_valid(form)


class SignOutView(auth_views.LogoutView):
    http_method_names = ["post"]


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")
    http_method_names = ["get", "head", "post"]

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)  # keeps this session, under a new key
        sessions.user_sessions_end(
            user=form.user, keep_session_key=self.request.session.session_key
        )
        messages.success(self.request, _("Your password has been changed."))
        return response


@login_required
@get_or_post
def preferences(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = PreferencesForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        services.user_update_preferences(
            user=user,
            full_name=form.cleaned_data["full_name"],
            language=form.cleaned_data["language"],
        )
        messages.success(request, _("Your preferences have been saved."))
        return redirect("accounts:preferences")
    return render(request, "accounts/preferences.html", {"form": form})
