"""Forms of two-factor sign-in: they check the shape of what is typed; `twofactor` checks codes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _code_field(
    label: StrOrPromise, help_text: StrOrPromise = "", *, digits_only: bool = False
) -> forms.CharField:
    attrs: dict[str, str | bool] = {
        "autocomplete": "one-time-code",
        "autofocus": True,
        "autocapitalize": "none",
        "spellcheck": "false",
    }
    if digits_only:
        attrs["inputmode"] = "numeric"
    return forms.CharField(
        label=label, help_text=help_text, max_length=40, widget=forms.TextInput(attrs=attrs)
    )


class AppCodeForm(forms.Form):
    """Six digits from the authenticator app (turning two-factor on, confirming a session)."""

    code = _code_field(_("Code from your app"), digits_only=True)

    def clean_code(self) -> str:
        code = "".join(str(self.cleaned_data["code"]).split())
        if len(code) != 6 or not code.isdigit():
            raise forms.ValidationError(_("Enter the 6 digits your app shows."))
        return code


class SignInCodeForm(forms.Form):
    """The sign-in's second step: an app code or a recovery code."""

    code = _code_field(
        _("Code"),
        _("The 6-digit code from your app, or one of your recovery codes."),
    )


class PasswordOrCodeForm(forms.Form):
    """Proof that the person at the keyboard is the account's owner, before a change."""

    secret = forms.CharField(
        label=_("Your password, or a code from your app"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
