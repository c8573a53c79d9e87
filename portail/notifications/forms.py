"""The outbox page's query string (and its retry button's post): the status it lists."""

from __future__ import annotations

from django import forms
from django.http import QueryDict

from portail.notifications.models import EmailStatus


class OutboxFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=EmailStatus.choices)


def status_filter(data: QueryDict) -> str | None:
    """The status `data` asks for; None (every email) when absent or not a status."""
    form = OutboxFilterForm(data)
    status: str = form.cleaned_data["status"] if form.is_valid() else ""
    return status or None
