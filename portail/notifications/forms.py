"""The outbox page's query string (and its retry button's post): the status it lists and
the recipient it searches for."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from portail.notifications.models import EmailStatus

RECIPIENT_MAX_LENGTH = 254  # an address is at most 254 characters (RFC 5321)


class OutboxFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=EmailStatus.choices)
    # Part of the recipient's address, any case. CharField strips it and refuses NUL.
    q = forms.CharField(
        label=_("Recipient"),
        required=False,
        max_length=RECIPIENT_MAX_LENGTH,
        widget=forms.SearchInput(attrs={"placeholder": _("Part of an email address")}),
    )


@dataclass(frozen=True)
class OutboxFilter:
    form: OutboxFilterForm
    status: str | None  # None: every status
    search: str  # "": every recipient


def outbox_filter(data: QueryDict) -> OutboxFilter:
    """What `data` asks for; a field that is absent or not valid does not filter.

    Each field counts on its own: a bad search keeps the status, and a bad status
    (not one of the statuses) keeps the search.
    """
    form = OutboxFilterForm(data)
    form.is_valid()  # cleaned_data then holds the valid fields only
    status: str = form.cleaned_data.get("status") or ""
    search: str = form.cleaned_data.get("q") or ""
    return OutboxFilter(form=form, status=status or None, search=search)
