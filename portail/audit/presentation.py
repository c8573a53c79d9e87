"""How an event reads on the page: a compact before/after diff and human labels.

Rows an event refers to read as the names the event stored when it was written
(`AuditEvent.names`, audit_log), linked to their page while they still exist
(links.py). Field labels come from the target's model through the app registry,
read generically (audit names no domain model); a model or field that no longer
exists falls back to its stored key, so old records always display.
"""

from __future__ import annotations

import dataclasses
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

from portail.audit.links import row_addresses
from portail.audit.models import AuditEvent

MAX_VALUE_LENGTH = 120


@dataclass(frozen=True)
class NamedRow:
    name: str
    url: str | None


@dataclass(frozen=True)
class FieldChange:
    field: str  # the stored key
    label: str  # its model field's name, when known
    kind: Literal["added", "removed", "changed"]
    old: str | None
    new: str | None
    # The rows the old and new values name, each with its page while it exists.
    old_rows: list[NamedRow] = dataclasses.field(default_factory=list)
    new_rows: list[NamedRow] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class EventRow:
    event: AuditEvent
    target_type_label: str
    target_label: str  # the target as it was named when the change was made
    target_url: str | None  # its page, while it exists
    changes: list[FieldChange]


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
Links = dict[tuple[str, str], str]  # (row type, id as text) -> the row's page


def event_rows(events: list[AuditEvent], *, portal_slug: str) -> list[EventRow]:
    """The page's events, the rows they refer to named as they were and linked while they
    exist: one query per kind of row that has a page."""
    wanted: dict[str, set[str]] = {}
    for event in events:
        wanted.setdefault(event.target_type, set()).add(event.target_id)
        for entry in _named(event).values():
            wanted.setdefault(entry["type"], set()).update(entry["rows"])
    portal_ids = {event.portal_id for event in events}
    links: Links = {}
    for portal_id in portal_ids:
        links.update(row_addresses(portal_id=portal_id, portal_slug=portal_slug, wanted=wanted))
    return [
        EventRow(
            event=event,
            target_type_label=target_type_label(event.target_type),
            target_label=event.target_label or event.target_id,
            target_url=links.get((event.target_type, event.target_id)),
            changes=changes(event, links),
        )
        for event in events
    ]


def _named(event: AuditEvent) -> dict[str, Any]:
    names = event.names if isinstance(event.names, dict) else {}
    return {
        key: entry
        for key, entry in names.items()
        if isinstance(entry, dict)
        and isinstance(entry.get("type"), str)
        and isinstance(entry.get("rows"), dict)
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


def changes(event: AuditEvent, links: Links | None = None) -> list[FieldChange]:
    """Each field that differs between before and after, by key; unchanged ones are left out.

    A key that holds rows (ids) reads as the names the event stored, "#id" for one it did
    not name, each linked while the row exists.
    """
    links = links or {}
    named = _named(event)
    before: dict[str, Any] = event.before if isinstance(event.before, dict) else {}
    after: dict[str, Any] = event.after if isinstance(event.after, dict) else {}
    result = []
    for key in sorted(before.keys() | after.keys()):
        if key in before and key in after and before[key] == after[key]:
            continue
        model_field = _field(event.target_type, key)
        # A field with choices ("status") reads as the choice's label ("Invited").
        choices = dict(getattr(model_field, "flatchoices", None) or ())
        kind: Literal["added", "removed", "changed"] = (
            "changed" if key in before and key in after else "added" if key in after else "removed"
        )
        old_rows = _rows(before[key], named.get(key), links) if key in before else []
        new_rows = _rows(after[key], named.get(key), links) if key in after else []
        result.append(
            FieldChange(
                field=key,
                label=_label(model_field, key),
                kind=kind,
                old=_display(before[key], old_rows, choices) if key in before else None,
                new=_display(after[key], new_rows, choices) if key in after else None,
                old_rows=old_rows,
                new_rows=new_rows,
            )
        )
    return result


def _ids(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [str(v) for v in values if isinstance(v, int) and not isinstance(v, bool)]


def _rows(value: Any, entry: dict[str, Any] | None, links: Links) -> list[NamedRow]:
    if entry is None:
        return []
    return [
        NamedRow(
            name=str(entry["rows"].get(str(pk), f"#{pk}")),
            url=links.get((entry["type"], str(pk))),
        )
        for pk in _ids(value)
    ]


def _display(value: Any, rows: list[NamedRow], choices: dict[Any, Any]) -> str:
    if isinstance(value, str) and value in choices:
        return str(choices[value])
    if rows:
        return display_value(
            [row.name for row in rows] if isinstance(value, list) else rows[0].name
        )
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
