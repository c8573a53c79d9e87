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
from django.utils.text import capfirst
from django.utils.translation import gettext as _

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
    changes: list[FieldChange]


def event_rows(events: list[AuditEvent]) -> list[EventRow]:
    return [
        EventRow(
            event=event,
            target_type_label=target_type_label(event.target_type),
            changes=changes(event),
        )
        for event in events
    ]


def _model(target_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(target_type)
    except (LookupError, ValueError):
        return None


def target_type_label(target_type: str) -> str:
    model = _model(target_type)
    return capfirst(str(model._meta.verbose_name)) if model is not None else target_type


def field_label(target_type: str, key: str) -> str:
    model = _model(target_type)
    if model is None:
        return key
    try:
        field = model._meta.get_field(key)
    except FieldDoesNotExist:
        return key
    return capfirst(str(getattr(field, "verbose_name", key)))


def changes(event: AuditEvent) -> list[FieldChange]:
    """Each field that differs between before and after, by key; unchanged ones are left out."""
    before: dict[str, Any] = event.before if isinstance(event.before, dict) else {}
    after: dict[str, Any] = event.after if isinstance(event.after, dict) else {}
    result = []
    for key in sorted(before.keys() | after.keys()):
        if key in before and key in after and before[key] == after[key]:
            continue
        kind: Literal["added", "removed", "changed"] = (
            "changed" if key in before and key in after else "added" if key in after else "removed"
        )
        result.append(
            FieldChange(
                field=key,
                label=field_label(event.target_type, key),
                kind=kind,
                old=display_value(before[key]) if key in before else None,
                new=display_value(after[key]) if key in after else None,
            )
        )
    return result


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
