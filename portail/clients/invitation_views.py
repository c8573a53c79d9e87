"""Invitation pages: the public acceptance page, and an admin's re-invite and revoke buttons.

The acceptance page is open to anyone holding the link; opening it (GET)
changes nothing (mail scanners open links), only its POST spends it. Admin
actions declare their permission by decorator and call the services in
`invitation_services.py`.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portail.accounts.models import User
from portail.accounts.tokens import redact_tokens
from portail.accounts.twofactor import two_factor_enabled
from portail.accounts.twofactor_views import signin_pending_start
from portail.clients import selectors
from portail.clients.invitation_selectors import (
    InvitationCheck,
    LinkStatus,
    invitation_for_token,
)
from portail.clients.invitation_services import (
    FULL_NAME_MAX_LENGTH,
    InvitationUnusable,
    invitation_accept,
    invitation_revoke,
    invitation_send,
)
from portail.clients.models import Invitation
from portail.clients.permissions import MANAGE_CLIENTS
from portail.portals.decorators import PortalRequest
from portail.portals.models import Membership
from portail.portals.roles import portal_permission
from portail.web import get_or_post, posted

# The backend `login` records for a person who just set their password here.
EMAIL_BACKEND = "portail.accounts.backends.EmailBackend"


class NewPersonForm(forms.Form):
    full_name = forms.CharField(
        label=gettext_lazy("Your name"),
        max_length=FULL_NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "name", "autofocus": True}),
    )
    password = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    password_again = forms.CharField(
        label=gettext_lazy("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_password_again(self) -> str:
        first = self.cleaned_data.get("password")
        again: str = self.cleaned_data["password_again"]
        if first and first != again:
            raise forms.ValidationError(_("The two passwords differ."))
        return again


class SignInToAcceptForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


def _form_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's errors on the form's fields of the same name, others on the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, field_messages in error.message_dict.items():
        known = field != NON_FIELD_ERRORS and field in form.fields
        form.add_error(field if known else None, field_messages)


def _unusable(request: HttpRequest, check: InvitationCheck) -> HttpResponse:
    """One page for every link that cannot be used: 404 if unknown, 410 if known."""
    invitation = check.invitation
    return render(
        request,
        "clients/invitation_invalid.html",
        {
            "status": check.status.value,
            "inviter": invitation.invited_by if invitation else None,
            "invited_portal": invitation.portal if invitation else None,
        },
        status=404 if check.status == LinkStatus.UNKNOWN else 410,
    )


def _signed_in(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def _welcome(request: HttpRequest, membership: Membership) -> HttpResponse:
    messages.success(request, _("Welcome to %(portal)s.") % {"portal": membership.portal.name})
    return redirect("projects:list", portal_slug=membership.portal.slug)


@get_or_post
def accept(request: HttpRequest, token: str) -> HttpResponse:
    """CU4: GET shows what to do and changes nothing; POST accepts.

    Someone new sets their name and password; someone with an account (CU8)
    signs in, or, already signed in as the invitee, confirms. Signed in as
    somebody else: a page that says so and offers to sign out.
    """
    check = invitation_for_token(raw_token=token)
    if not check.usable or check.invitation is None:
        return _unusable(request, check)
    invitation = check.invitation
    invitee = invitation.membership.user
    current = _signed_in(request)
    context: dict[str, Any] = {
        "invitation": invitation,
        "invited_portal": invitation.portal,
        "invitee": invitee,
        "inviter": invitation.invited_by,
    }
    if current is not None and current.pk != invitee.pk:
        return render(
            request,
            "clients/invitation_wrong_person.html",
            {**context, "current": current},
            status=403,
        )
    if not invitee.has_usable_password():
        return _accept_new_person(request, token, invitation, context)
    if current is not None:
        if request.method == "POST":
            try:
                membership = invitation_accept(raw_token=token, user=current)
            except InvitationUnusable as unusable:
                return _unusable(request, unusable.check)
            except ValidationError as error:
                for message in error.messages:
                    messages.error(request, message)
            else:
                return _welcome(request, membership)
        return render(request, "clients/invitation_accept.html", {**context, "mode": "join"})
    return _accept_after_sign_in(request, token, invitee, context)


def _accept_new_person(
    request: HttpRequest, token: str, invitation: Invitation, context: dict[str, Any]
) -> HttpResponse:
    invitee = invitation.membership.user
    form = NewPersonForm(
        posted(request),
        initial={"full_name": invitee.full_name},
    )
    if request.method == "POST" and form.is_valid():
        try:
            membership = invitation_accept(
                raw_token=token,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password"],
            )
        except InvitationUnusable as unusable:
            return _unusable(request, unusable.check)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            login(request, membership.user, backend=EMAIL_BACKEND)
            return _welcome(request, membership)
    return render(
        request, "clients/invitation_accept.html", {**context, "mode": "new", "form": form}
    )


def _accept_after_sign_in(
    request: HttpRequest, token: str, invitee: User, context: dict[str, Any]
) -> HttpResponse:
    """The invitee has an account: their password, checked by `authenticate` so that
    django-axes counts the failures and locks out as on the sign-in page."""
    form = SignInToAcceptForm(posted(request))
    if request.method == "POST" and form.is_valid():
        # django-axes keeps the path of every failed attempt (AccessAttempt.path_info),
        # and this path holds a live link: it gets the path with the token redacted.
        AxesProxyHandler.update_request(request)
        request.axes_path_info = redact_tokens(request.path_info)  # type: ignore[attr-defined]
        user = authenticate(request, username=invitee.email, password=form.cleaned_data["password"])
        if not isinstance(user, User) or user.pk != invitee.pk:
            form.add_error("password", _("That password is not right. Check it and try again."))
        else:
            try:
                membership = invitation_accept(raw_token=token, user=user)
            except InvitationUnusable as unusable:
                return _unusable(request, unusable.check)
            except ValidationError as error:
                _form_errors(form, error)
            else:
                if two_factor_enabled(user=user):
                    # Accepted; signing in still takes the person's second factor.
                    return signin_pending_start(
                        request,
                        user=user,
                        next_url=reverse("projects:list", args=[membership.portal.slug]),
                    )
                login(request, user)
                return _welcome(request, membership)
    return render(
        request, "clients/invitation_accept.html", {**context, "mode": "signin", "form": form}
    )


# An admin's actions, under /p/<portal_slug>/clients/users/<membership_id>/ -------------------


def _client_user(request: PortalRequest, membership_id: int) -> Membership:
    """A client user of this portal; another portal's, or a staff member, is 404."""
    membership = selectors.client_user(portal=request.portal, membership_id=membership_id)
    if membership is None:
        raise Http404
    return membership


def _back(request: PortalRequest) -> HttpResponse:
    """To the page the button was on (the `next` field, when it is ours), else the list."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(
        reverse("clients:users", kwargs={"portal_slug": request.portal.slug})
    )


@portal_permission(MANAGE_CLIENTS)
@require_POST
def resend(request: PortalRequest, membership_id: int) -> HttpResponse:
    """CU3: send a new invitation (the previous link stops working)."""
    membership = _client_user(request, membership_id)
    try:
        invitation_send(membership=membership, actor=request.membership.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("A new invitation is on its way to %(email)s; the previous link no longer works.")
            % {"email": membership.user.email},
        )
    return _back(request)


@portal_permission(MANAGE_CLIENTS)
@require_POST
def revoke(request: PortalRequest, membership_id: int) -> HttpResponse:
    """CU10: withdraw the pending invitation; its link stops working."""
    membership = _client_user(request, membership_id)
    if invitation_revoke(membership=membership, actor=request.membership.user) is None:
        messages.info(
            request,
            _("%(email)s has no pending invitation to withdraw.")
            % {"email": membership.user.email},
        )
    else:
        messages.success(
            request,
            _("The invitation of %(email)s is withdrawn: its link no longer works.")
            % {"email": membership.user.email},
        )
    return _back(request)
