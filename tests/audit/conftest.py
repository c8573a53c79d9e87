from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from portail.audit.models import AuditEvent
from portail.portals.models import Membership, Portal


def make_event(
    portal: Portal,
    actor: Membership | None = None,
    action: str = "client_company.created",
    at: datetime | None = None,
    **fields: Any,
) -> AuditEvent:
    """A stored event, written directly so its time can be set."""
    values: dict[str, Any] = {
        "portal": portal,
        "actor": actor.user if actor is not None else None,
        "actor_label": actor.user.email if actor is not None else "",
        "action": action,
        "target_type": "portals.portal",
        "target_id": str(portal.pk),
        "target_label": portal.name,
        "created_at": at or timezone.now(),
    }
    return AuditEvent.objects.create(**{**values, **fields})
