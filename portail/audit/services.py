"""Record a change. Call it inside the service's transaction, so the record and
the change commit (or roll back) together."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from portail.accounts.models import User
from portail.audit.models import AuditEvent
from portail.portals.models import Portal

# "client_company.created", "project_client.primary_set": lower-case words joined by dots.
ACTION_KEY = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+")
ACTION_MAX_LENGTH = AuditEvent._meta.get_field("action").max_length or 80


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

    A malformed key, an unsaved target or a target of another portal is a
    programming error and raises ValueError.
    """
    if len(action) > ACTION_MAX_LENGTH or not ACTION_KEY.fullmatch(action):
        raise ValueError(f"Audit action {action!r} is not a dotted key like 'client_user.invited'.")
    if target.pk is None:
        raise ValueError("audit_log needs a saved target: log a deletion before delete().")
    target_portal_id = getattr(target, "portal_id", None)
    if target_portal_id is not None and target_portal_id != portal.pk:
        raise ValueError(f"{target._meta.label} {target.pk} belongs to another portal.")
    return AuditEvent.objects.create(
        portal=portal,
        actor=actor,
        actor_label=actor.email if actor is not None else "",
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_label=str(target)[:300],
        before=_as_json(before),
        after=_as_json(after),
    )


def _as_json(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The values as they will read back from the database (dates and decimals as strings).

    Serialising here, not only on save, makes the returned event equal to the
    stored one and fails at the call for a value JSON cannot hold.
    """
    if values is None:
        return None
    loaded: dict[str, Any] = json.loads(json.dumps(dict(values), cls=DjangoJSONEncoder))
    return loaded
