"""Forms of the client profile pages and of a client user's permissions in a project.
They parse and check input; services decide."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from portail.access.catalogue import (
    ACTION_LABELS,
    LEVEL_LABELS,
    Action,
    Level,
    Module,
    client_actions,
    is_levelled,
    levels_for,
    modules,
)
from portail.access.customisations import MAX_CLONE_TARGETS, too_many_targets
from portail.access.member_selectors import GRID_ACTIONS as GRID_ACTIONS
from portail.access.models import ClientProfile
from portail.access.profiles import NAME_MAX_LENGTH
from portail.access.rules import profile_permissions
from portail.projects.models import ProjectMember
from portail.web import ModelIdsField, clean_id

_NAME_ERRORS = {
    "required": _("Give the profile a name."),
    "max_length": _("Use at most %(limit_value)d characters."),
}


class ProfileChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A choice of client profile, shown by name (here and in `clients.forms`)."""

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


# A posted field named like a permission: "<module>_<action>".
_CODE_FIELD = re.compile(rf"([a-z][a-z0-9]*)_({'|'.join(action.value for action in Action)})")


@dataclass(frozen=True)
class GridRow:
    module: Module
    # (action label, field) per GRID_ACTIONS column; no field where the module lacks it.
    cells: list[tuple[Promise, forms.BoundField | None]]


class PermissionGridForm(forms.Form):
    """One field per catalogue code: a level for view, edit and delete, a box for add.

    Pre-filled from a profile (`profile=`) or from any permission set (`permissions=`,
    e.g. a client user's effective permissions in a project).
    """

    def __init__(
        self,
        *args: Any,
        profile: ClientProfile | None = None,
        permissions: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        if (profile is None) == (permissions is None):
            raise TypeError("PermissionGridForm takes a profile or a permission set, not both.")
        stored = profile.permissions if profile is not None else permissions
        current = profile_permissions(dict(stored or {}))
        kwargs.setdefault(
            "initial",
            {
                field_name(code): (level.value if is_levelled(code) else level == Level.ALL)
                for code, level in current.items()
            },
        )
        super().__init__(*args, **kwargs)
        self.codes: dict[str, str] = {}
        for module in modules():
            for action in client_actions(module):
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
        for module in modules():
            offered = client_actions(module)
            cells: list[tuple[Promise, forms.BoundField | None]] = [
                (
                    ACTION_LABELS[action],
                    self[field_name(f"{module.key}.{action}")] if action in offered else None,
                )
                for action in GRID_ACTIONS
            ]
            rows.append(GridRow(module=module, cells=cells))
        return rows

    def clean(self) -> dict[str, Any]:
        """Refuse a posted permission the grid does not have ("invoices_view", or the
        staff-only "project_edit"), naming it, rather than drop it without a word."""
        cleaned = super().clean() or {}
        unknown = sorted(
            f"{match[1]}.{match[2]}"
            for key in self.data
            if (match := _CODE_FIELD.fullmatch(key)) and key not in self.fields
        )
        if unknown:
            raise ValidationError(
                _("Not a permission a client user can be given: %(codes)s.")
                % {"codes": ", ".join(unknown)}
            )
        return cleaned

    def permissions(self) -> dict[str, str]:
        """The chosen set, as `{code: level}`, for `client_profile_set_permissions` and
        `member_permissions_customise`."""
        chosen: dict[str, str] = {}
        for name, code in self.codes.items():
            value = self.cleaned_data[name]
            if isinstance(value, bool):
                chosen[code] = Level.ALL.value if value else Level.NONE.value
            else:
                chosen[code] = value
        return chosen


class CloneTargetsField(ModelIdsField):
    def clean(self, value: Any) -> Any:
        """PE3: more than MAX_CLONE_TARGETS people is refused before any lookup."""
        if isinstance(value, list | tuple):
            count = len({str(pk).strip() for pk in value})
            if count > MAX_CLONE_TARGETS:
                raise ValidationError(too_many_targets(count), code="too_many")
        return super().clean(value)


class CloneForm(forms.Form):
    """PE3: the client users of the project to copy a customisation to, ticked. The page
    shows the candidates a page at a time; a tick is checked against all of them,
    whatever page it came from."""

    targets = CloneTargetsField(
        label=_("Copy to"),
        queryset=ProjectMember.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Tick at least one client user to copy to."),
            "invalid_choice": _(
                "Someone ticked is not another client user of this project: "
                "choose among those listed."
            ),
            "invalid_pk_value": _("“%(pk)s” is not a person of this list."),
        },
    )

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        targets = self.fields["targets"]
        assert isinstance(targets, CloneTargetsField)
        targets.queryset = candidates


# PE3: the client users listed on one page of the clone dialog.
CANDIDATES_PER_PAGE = 50


class CloneFilterForm(forms.Form):
    """PE3: which of the project's client users the clone dialog lists (and "copy to
    everyone matching" copies to): a search by name or email, and one client company.

    A company id that is well formed but not one of `companies` is not a form error:
    the view answers 404 (`unknown_company`), as for a company that is not a client of
    the project in a URL."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.SearchInput(attrs={"placeholder": _("Name or email")}),
    )
    company = forms.TypedChoiceField(
        label=_("Company"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": _("Choose a client company of this project.")},
    )

    def __init__(self, *args: Any, companies: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        company = self.fields["company"]
        assert isinstance(company, forms.TypedChoiceField)
        company.choices = [("", _("All companies")), *((str(pk), name) for pk, name in companies)]
        self.company_ids = {pk for pk, _name in companies}

    def unknown_company(self) -> bool:
        """Whether the company asked for is a well-formed id of no company listed."""
        raw = self.data.get(self.add_prefix("company")) if self.is_bound else None
        company_id = clean_id(raw)
        return company_id is not None and company_id not in self.company_ids

    def filters(self) -> tuple[str, int | None]:
        """The search and company to list (none when the form is not valid)."""
        if not self.is_valid():
            return "", None
        return self.cleaned_data["q"].strip(), self.cleaned_data["company"]

    def is_filtered(self) -> bool:
        search, company = self.filters()
        return bool(search) or company is not None


class CloneEveryoneForm(forms.Form):
    """PE3, "copy to everyone matching": no field per person; the people are those the
    dialog's search and company filter match, found by the service when it copies. Its
    errors are the service's (nobody matches, too many)."""

    everyone = forms.BooleanField(required=True, widget=forms.HiddenInput)


class PortalSecurityForm(forms.Form):
    require_staff_two_factor = forms.BooleanField(
        label=_("Require two-factor sign-in for staff"),
        help_text=_(
            "Staff members then open this portal’s pages only after signing in with a code "
            "from their authenticator app; those without two-factor sign-in are asked to "
            "turn it on first. Client users are not asked."
        ),
        required=False,
    )
