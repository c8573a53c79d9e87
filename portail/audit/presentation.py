"""How an event reads on the page: a compact before/after diff and human labels.

Labels come from the target's model through the app registry (no import of
the domain apps, which audit must not know); a model or field that no longer
exists falls back to its stored key, so old records always display.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portail.audit.models import AuditEvent

MAX_VALUE_LENGTH = 120


@dataclass(frozen=True)
class FieldChange:
    field: str  # the stored key
    label: str  # its model field's name, when known
    kind: Literal["added", "removed", "changed"]
    old: str | None
    new: str | None


@dataclass(frozen=True)
class EventRow:
    event: AuditEvent
    target_type_label: str
    target_label: str  # the target as it is named now, else as it was when logged
    changes: list[FieldChange]


# Stored keys that hold the id (or a list of ids) of a row of another model, by that
# model: the page shows the row's name ("Brand refresh", "paula@bowman.test"), not "6".
REFERENCES: dict[str, str] = {
    "project": "projects.Project",
    "projects": "projects.Project",
    "company": "clients.ClientCompany",
    "new_primary": "clients.ClientCompany",
    "previous_primary": "clients.ClientCompany",
    "membership": "portals.Membership",
    "copied_from": "portals.Membership",
    "removed_users": "portals.Membership",
    "client_users": "portals.Membership",
    "profile": "access.ClientProfile",
    "clone_of": "access.ClientProfile",
    "default": "access.ClientProfile",
    "removed_users_moved_to": "access.ClientProfile",
}
# Labels of stored keys that are not a field of the target's model.
KEY_LABELS: dict[str, Promise] = {
    "client_users": gettext_lazy("Client users"),
    "clone_of": gettext_lazy("Copy of"),
    "company": gettext_lazy("Client company"),
    "copied_from": gettext_lazy("Copied from"),
    "customisation": gettext_lazy("Customisation"),
    "customisations": gettext_lazy("Customisations"),
    "default": gettext_lazy("Default profile"),
    "email": gettext_lazy("Email"),
    "member": gettext_lazy("Member"),
    "membership": gettext_lazy("Client user"),
    "new_primary": gettext_lazy("New primary client"),
    "notified": gettext_lazy("Told by email"),
    "permissions": gettext_lazy("Permissions"),
    "previous_primary": gettext_lazy("Previous primary client"),
    "profile": gettext_lazy("Client profile"),
    "project": gettext_lazy("Project"),
    "projects": gettext_lazy("Projects"),
    "removed_users": gettext_lazy("Removed client users"),
    "removed_users_moved_to": gettext_lazy("Their new profile"),
    "signin_failures": gettext_lazy("Failed sign-ins"),
    "superseded": gettext_lazy("Replaced"),
}
# The field that names a row of each referenced model ("name" when not listed).
NAME_FIELDS: dict[str, str] = {"portals.Membership": "user__email"}
# Targets whose stored label is made of ids ("6 in project 2"): the fields naming them.
TARGET_NAMES: dict[str, tuple[str, ...]] = {
    "projects.projectmember": ("membership__user__email", "project__name"),
    "clients.projectclient": ("company__name", "project__name"),
    "clients.invitation": ("membership__user__email",),
    "access.permissionoverride": ("member__membership__user__email", "member__project__name"),
}

Names = dict[tuple[str, str], str]  # (model label, id as text) -> name


def event_rows(events: list[AuditEvent]) -> list[EventRow]:
    """The page's events, with the rows they refer to named: one query per model."""
    names = _names(events)
    return [
        EventRow(
            event=event,
            target_type_label=target_type_label(event.target_type),
            target_label=names.get((event.target_type, event.target_id))
            or event.target_label
            or event.target_id,
            changes=changes(event, names),
        )
        for event in events
    ]


def _ids(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [str(v) for v in values if isinstance(v, int) and not isinstance(v, bool)]


def _names(events: list[AuditEvent]) -> Names:
    wanted: dict[str, set[str]] = {}
    targets: dict[str, set[str]] = {}
    for event in events:
        for values in (event.before, event.after):
            if not isinstance(values, dict):
                continue
            for key in values.keys() & REFERENCES.keys():
                wanted.setdefault(REFERENCES[key], set()).update(_ids(values[key]))
        if event.target_type in TARGET_NAMES:
            targets.setdefault(event.target_type, set()).add(event.target_id)
    portal_ids = {event.portal_id for event in events}
    names: Names = {}
    for label, ids in wanted.items():
        names.update(_read(label, ids, (NAME_FIELDS.get(label, "name"),), portal_ids))
    for label, ids in targets.items():
        names.update(_read(label, ids, TARGET_NAMES[label], portal_ids))
    return names


def _read(label: str, ids: set[str], fields: tuple[str, ...], portal_ids: set[int]) -> Names:
    model = _model(label)
    numeric = [int(i) for i in ids if i.isdigit()]
    if model is None or not numeric:
        return {}
    rows = model._default_manager.filter(pk__in=numeric, portal_id__in=portal_ids)
    return {
        (label.lower(), str(pk)): " · ".join(str(part) for part in parts if part)
        for pk, *parts in rows.values_list("pk", *fields)
    }


def _model(target_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(target_type)
    except (LookupError, ValueError):
        return None


def target_type_label(target_type: str) -> str:
    model = _model(target_type)
    return capfirst(str(model._meta.verbose_name)) if model is not None else target_type


def _field(target_type: str, key: str) -> Any:
    model = _model(target_type)
    if model is None:
        return None
    try:
        return model._meta.get_field(key)
    except FieldDoesNotExist:
        return None


def _label(field: Any, key: str) -> str:
    label = getattr(field, "verbose_name", None) or KEY_LABELS.get(key) or key
    return capfirst(str(label))


def changes(event: AuditEvent, names: Names | None = None) -> list[FieldChange]:
    """Each field that differs between before and after, by key; unchanged ones are left out.

    Ids of rows of other models (REFERENCES) read as the names in `names`.
    """
    names = names or {}
    before: dict[str, Any] = event.before if isinstance(event.before, dict) else {}
    after: dict[str, Any] = event.after if isinstance(event.after, dict) else {}
    result = []
    for key in sorted(before.keys() | after.keys()):
        if key in before and key in after and before[key] == after[key]:
            continue
        field = _field(event.target_type, key)
        # A field with choices ("status") reads as the choice's label ("Invited").
        choices = dict(getattr(field, "flatchoices", None) or ())
        kind: Literal["added", "removed", "changed"] = (
            "changed" if key in before and key in after else "added" if key in after else "removed"
        )
        result.append(
            FieldChange(
                field=key,
                label=_label(field, key),
                kind=kind,
                old=_display(key, before[key], names, choices) if key in before else None,
                new=_display(key, after[key], names, choices) if key in after else None,
            )
        )
    return result


def _display(key: str, value: Any, names: Names, choices: dict[Any, Any]) -> str:
    if isinstance(value, str) and value in choices:
        return str(choices[value])
    model = REFERENCES.get(key)
    if model is not None and _ids(value):
        is_list = isinstance(value, list)
        ids = value if is_list else [value]
        named = [names.get((model.lower(), str(v)), f"#{v}") for v in ids]
        return display_value(named if is_list else named[0])
    return display_value(value)


def display_value(value: Any) -> str:
    """A stored JSON value as short text; an empty string stands for "nothing"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        text = ", ".join(display_value(item) for item in value)
    elif isinstance(value, dict):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    elif isinstance(value, str):
        text = _display_datetime(value) or value
    else:
        text = str(value)
    return text if len(text) <= MAX_VALUE_LENGTH else text[: MAX_VALUE_LENGTH - 1] + "…"


def _display_datetime(value: str) -> str | None:
    """A stored aware datetime ("2026-01-02T10:00:00+00:00") in the active (portal) time zone."""
    if "T" not in value:
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is None or timezone.is_naive(moment):
        return None
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
