"""Forms of the client profile pages. They parse and check input; services decide."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from portail.access.catalogue import (
    ACTION_LABELS,
    LEVEL_LABELS,
    MODULES,
    Action,
    Level,
    Module,
    is_levelled,
    levels_for,
)
from portail.access.models import ClientProfile
from portail.access.rules import profile_permissions
from portail.access.services import NAME_MAX_LENGTH

# The grid's columns, in this order whatever order a module declares its actions in.
GRID_ACTIONS: tuple[Action, ...] = (Action.VIEW, Action.ADD, Action.EDIT, Action.DELETE)

_NAME_ERRORS = {
    "required": _("Give the profile a name."),
    "max_length": _("Use at most %(limit_value)d characters."),
}


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the fields it names (others on the form)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class ProfileChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        profile: ClientProfile = obj
        return profile.name


class ProfileNameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=NAME_MAX_LENGTH, error_messages=_NAME_ERRORS)


class ProfileCreateForm(ProfileNameForm):
    clone_of = ProfileChoiceField(
        label=_("Start from"),
        queryset=ClientProfile.objects.none(),
        required=False,
        empty_label=_("A blank profile: no permissions"),
        help_text=_("A copy starts with the same permissions; you change them on the next page."),
        error_messages={"invalid_choice": _("Choose a profile of this portal.")},
    )

    def __init__(self, *args: Any, profiles: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        clone_of = self.fields["clone_of"]
        assert isinstance(clone_of, ProfileChoiceField)
        clone_of.queryset = profiles


def field_name(code: str) -> str:
    """The form field of a code: "tasks.edit" -> "tasks_edit" (as in `rules.abilities`)."""
    return code.replace(".", "_")


@dataclass(frozen=True)
class GridRow:
    module: Module
    # (action label, field) per GRID_ACTIONS column; no field where the module lacks it.
    cells: list[tuple[Promise, forms.BoundField | None]]


class PermissionGridForm(forms.Form):
    """One field per catalogue code: a level for view, edit and delete, a box for add."""

    def __init__(self, *args: Any, profile: ClientProfile, **kwargs: Any) -> None:
        current = profile_permissions(profile.permissions)
        kwargs.setdefault(
            "initial",
            {
                field_name(code): (level.value if is_levelled(code) else level == Level.ALL)
                for code, level in current.items()
            },
        )
        super().__init__(*args, **kwargs)
        self.codes: dict[str, str] = {}
        for module in MODULES:
            for action in module.actions:
                code = f"{module.key}.{action}"
                name = field_name(code)
                label = _("%(module)s: %(action)s") % {
                    "module": module.label,
                    "action": ACTION_LABELS[action],
                }
                field: forms.Field
                if is_levelled(code):
                    field = forms.ChoiceField(
                        label=label,
                        choices=[(level.value, LEVEL_LABELS[level]) for level in levels_for(code)],
                        error_messages={
                            "required": _("Choose a level."),
                            "invalid_choice": _("Choose None, Own or All."),
                        },
                    )
                else:
                    field = forms.BooleanField(label=label, required=False)
                self.fields[name] = field
                self.codes[name] = code

    def rows(self) -> list[GridRow]:
        rows = []
        for module in MODULES:
            cells: list[tuple[Promise, forms.BoundField | None]] = [
                (
                    ACTION_LABELS[action],
                    self[field_name(f"{module.key}.{action}")]
                    if action in module.actions
                    else None,
                )
                for action in GRID_ACTIONS
            ]
            rows.append(GridRow(module=module, cells=cells))
        return rows

    def permissions(self) -> dict[str, str]:
        """The chosen set, as `{code: level}`, for `client_profile_set_permissions`."""
        chosen: dict[str, str] = {}
        for name, code in self.codes.items():
            value = self.cleaned_data[name]
            if isinstance(value, bool):
                chosen[code] = Level.ALL.value if value else Level.NONE.value
            else:
                chosen[code] = value
        return chosen
