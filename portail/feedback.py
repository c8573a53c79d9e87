"""Telling the person what went wrong on a page without a form to show it on (a POST-only
button that redirects): each message of a service's ValidationError becomes an error
message shown on the next page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest


def report_errors(request: HttpRequest, error: ValidationError) -> None:
    """Add each message of `error` (field errors and form errors alike) as an error message."""
    for message in error.messages:
        messages.error(request, message)
