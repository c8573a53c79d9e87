"""Record a change. Call it inside the service's transaction, so the record and
the change commit (or roll back) together."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models

from portail.accounts.models import User
from portail.audit.models import AuditEvent
from portail.portals.models import Portal


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
    "before" (a creation) or no "after" (a deletion).
    """
    return AuditEvent.objects.create(
        portal=portal,
        actor=actor,
        actor_label=actor.email if actor is not None else "",
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk or ""),
        target_label=str(target)[:300],
        before=dict(before) if before is not None else None,
        after=dict(after) if after is not None else None,
    )
