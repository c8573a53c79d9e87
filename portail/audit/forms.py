"""The audit page's filter form: it parses the GET query and names the field it cannot read."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portail.audit.selectors import AuditFilterChoices
from portail.audit.services import ACTION_MAX_LENGTH
from portail.web import MAX_ID

# A dotted key ("client_company.created") or a group of them ("client_company.").
ACTION_FILTER = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*\.?")

ChoiceList = list[tuple[Any, Any]]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        # The browser's date picker sends and expects ISO dates, whatever the language.
        super().__init__(format="%Y-%m-%d")


class IdChoiceField(forms.Field):
    """A drop-down of ids that accepts any well-formed id: one the list does not hold
    simply matches nothing, so the answer never tells whether it exists elsewhere."""

    widget = forms.Select
    default_error_messages = {"invalid": _("Choose a person from the list.")}

    def to_python(self, value: Any) -> int | None:
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        # The length first: int() refuses more than 4,300 digits with a ValueError.
        if (
            not text.isascii()
            or not text.isdigit()
            or len(text) > len(str(MAX_ID))
            or not 0 < int(text) <= MAX_ID
        ):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return int(text)


class AuditFilterForm(forms.Form):
    actor = IdChoiceField(label=_("Who"), required=False)
    action = forms.CharField(label=_("What"), required=False, widget=forms.Select)
    since = forms.DateField(
        label=pgettext_lazy("date range", "From"), required=False, widget=DateInput()
    )
    until = forms.DateField(
        label=pgettext_lazy("date range", "To"), required=False, widget=DateInput()
    )

    def __init__(self, data: Any, *, choices: AuditFilterChoices) -> None:
        super().__init__(data)
        actors: ChoiceList = [("", _("Anyone")), *choices.actors]
        actions: ChoiceList = [("", _("Any action")), *_grouped_actions(choices.actions)]
        # Keep a hand-typed value that the lists do not hold visible, rather than
        # showing "Anyone" above a list it filtered.
        actor = self.data.get("actor", "")
        if actor and actor not in {str(pk) for pk, _label in choices.actors}:
            actors.append((actor, _("Someone with no events here")))
        action = self.data.get("action", "")
        if action and action not in _values(actions):
            actions.append((action, action))
        self.fields["actor"].widget.choices = actors
        self.fields["action"].widget.choices = actions

    def clean_action(self) -> str:
        action: str = self.cleaned_data["action"]
        if action and (len(action) > ACTION_MAX_LENGTH + 1 or not ACTION_FILTER.fullmatch(action)):
            raise ValidationError(_("Choose an action from the list."), code="invalid")
        return action

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        since, until = self.cleaned_data.get("since"), self.cleaned_data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date cannot be before the start date."))
        return cleaned


def _grouped_actions(actions: list[str]) -> ChoiceList:
    """Keys grouped by their first word, each group led by a choice for all of it."""
    groups: dict[str, list[str]] = {}
    for action in actions:
        groups.setdefault(action.split(".", 1)[0], []).append(action)
    return [
        (
            group,
            [
                (f"{group}.", _("Every %(group)s action") % {"group": group}),
                *((key, key) for key in keys),
            ],
        )
        for group, keys in groups.items()
    ]


def _values(choices: ChoiceList) -> set[str]:
    values: set[str] = set()
    for value, label in choices:
        if isinstance(label, list):
            values.update(str(inner) for inner, _label in label)
        else:
            values.add(str(value))
    return values
