"""Small helpers every page module uses: the GET-or-POST guard, the posted data of a form
page, and putting a service's ValidationError on the form's fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.views.decorators.http import require_http_methods

get_or_post = require_http_methods(["GET", "POST"])


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
