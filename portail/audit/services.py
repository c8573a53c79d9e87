"""Record a change. Call it inside the service's transaction, so the record and
the change commit (or roll back) together."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from portail.accounts.models import User
from portail.audit.models import AuditEvent
from portail.portals.models import Portal

# "client_company.created", "project_client.primary_set": lower-case words joined by dots.
ACTION_KEY = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+")
ACTION_MAX_LENGTH = AuditEvent._meta.get_field("action").max_length or 80
# Rows a bulk insert writes per statement: bulk writes (audit events, project members,
# customisations) take one statement per this many rows.
BULK_BATCH = 1_000


def name_of(row: models.Model) -> str:
    """How the log names a row: its model's `audit_name()` when it has one (a person by
    their email, a customisation by its person and project), else its `str()`."""
    audit_name = getattr(row, "audit_name", None)
    return str(audit_name() if callable(audit_name) else row)[:300]


def audit_log(
    *,
    portal: Portal,
    actor: User | None,
    action: str,
    target: models.Model,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Record that `actor` did `action` (a dotted key, e.g. "client_company.updated") on `target`.

    `before` and `after` hold the fields that changed (JSON-serialisable:
    dates, decimals and UUIDs are fine); leave one out when there is no
    "before" (a creation) or no "after" (a deletion). Log a deletion before
    calling `delete()`, which clears the target's primary key. `actor` is None
    for changes the system makes on its own (shown as "system").

    A value that is a row (or a list of rows) of another model is stored as its id (or
    ids), and the event keeps each row's name as it is now (`names`): one convention for
    every app, so the log reads the same whatever was renamed or deleted since. The
    target is named the same way (`target_label`).

    A malformed key, an unsaved target, or a target or row of another portal is a
    programming error and raises ValueError.
    """
    event = _event(portal=portal, actor=actor, action=action, change=(target, before, after))
    event.save()
    return event


# One change: the row it is about, and its fields before and after.
Change = tuple[models.Model, Mapping[str, Any] | None, Mapping[str, Any] | None]


def audit_log_many(
    *, portal: Portal, actor: User | None, action: str, changes: Iterable[Change]
) -> list[AuditEvent]:
    """Record the same action on many rows (copying a customisation to 500 people): one
    event per row, exactly as `audit_log` writes it, inserted together in one query."""
    events = [
        _event(portal=portal, actor=actor, action=action, change=change) for change in changes
    ]
    return AuditEvent.objects.bulk_create(events, batch_size=BULK_BATCH)


def _event(*, portal: Portal, actor: User | None, action: str, change: Change) -> AuditEvent:
    target, before, after = change
    if len(action) > ACTION_MAX_LENGTH or not ACTION_KEY.fullmatch(action):
        raise ValueError(f"Audit action {action!r} is not a dotted key like 'client_user.invited'.")
    if target.pk is None:
        raise ValueError("audit_log needs a saved target: log a deletion before delete().")
    _check_portal(target, portal)
    names: dict[str, dict[str, Any]] = {}
    before, after = _rows_to_ids(before, names, portal), _rows_to_ids(after, names, portal)
    return AuditEvent(
        portal=portal,
        actor=actor,
        actor_label=actor.email if actor is not None else "",
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_label=name_of(target),
        before=_as_json(before),
        after=_as_json(after),
        names=names,
    )


def _check_portal(row: models.Model, portal: Portal) -> None:
    row_portal_id = getattr(row, "portal_id", None)
    if row_portal_id is not None and row_portal_id != portal.pk:
        raise ValueError(f"{row._meta.label} {row.pk} belongs to another portal.")


def _rows_to_ids(
    values: Mapping[str, Any] | None, names: dict[str, dict[str, Any]], portal: Portal
) -> dict[str, Any] | None:
    """`values` with each row (or list of rows) replaced by its id (or ids), their names
    added to `names` under the key."""
    if values is None:
        return None
    stored: dict[str, Any] = {}
    for key, value in values.items():
        rows = value if isinstance(value, list | tuple) else [value]
        if not rows or not all(isinstance(row, models.Model) for row in rows):
            stored[key] = value
            continue
        entry = names.setdefault(key, {"type": rows[0]._meta.label_lower, "rows": {}})
        for row in rows:
            if row.pk is None:
                raise ValueError(f"audit_log needs saved rows: {key!r} holds an unsaved one.")
            _check_portal(row, portal)
            entry["rows"][str(row.pk)] = name_of(row)
        ids = [row.pk for row in rows]
        stored[key] = ids if isinstance(value, list | tuple) else ids[0]
    return stored


def _as_json(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The values as they will read back from the database (dates and decimals as strings).

    Serialising here, not only on save, makes the returned event equal to the
    stored one and fails at the call for a value JSON cannot hold.
    """
    if values is None:
        return None
    loaded: dict[str, Any] = json.loads(json.dumps(dict(values), cls=DjangoJSONEncoder))
    return loaded
