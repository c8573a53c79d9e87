"""Small helpers every page module uses: the GET-or-POST guard, the posted data of a form
page, putting a service's ValidationError on the form's fields, and the amount field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.views.decorators.http import require_http_methods

get_or_post = require_http_methods(["GET", "HEAD", "POST"])


def posted(request: HttpRequest) -> Any:
    """The form data of a POST, or None for a GET (an unbound form)."""
    return request.POST if request.method == "POST" else None


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the fields it names (others on the form)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class AmountField(forms.DecimalField):
    """A money amount typed and shown the way the reader writes it: "85,50" in French (a
    point is accepted there too), "85.50" in English.

    A text box with a decimal keyboard, not `type=number`: browsers' number boxes refuse
    or silently drop a decimal comma depending on their own locale.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
        )
        super().__init__(localize=True, **kwargs)
