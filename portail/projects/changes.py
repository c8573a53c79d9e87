"""What every service of projects does alike: check dates, validate a row, and write the
audit record of a change with the fields that changed (projects, milestones, tasks)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from portail.accounts.models import User
from portail.audit.services import audit_log
from portail.portals.models import Membership
from portail.projects.models import Milestone, Project, Task


def check_dates(start: dt.date | None, end: dt.date | None, field: str) -> None:
    """The end (`field`) is not before the start.

    The database constraint says the same; this names the field for the person fixing it.
    """
    if start is not None and end is not None and end < start:
        raise ValidationError({field: _("This date cannot be before the start date.")})


def full_clean(obj: Any, exclude: list[str] | None = None) -> None:
    # Field validators and model constraints, before the database sees the row.
    obj.full_clean(exclude=exclude, validate_unique=True, validate_constraints=True)


def snapshot(obj: models.Model, fields: Any) -> dict[str, Any]:
    """The fields' values, rows included: the log keeps a row's id and its name as it is
    now (audit_log), so a person reads as their email, a milestone as its title."""
    return {field: getattr(obj, field) for field in fields}


def changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields whose value differs, as (before, after)."""
    keys = [key for key in after if before.get(key) != after[key]]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def actor_of(membership: Membership | None) -> User | None:
    return membership.user if membership is not None else None


def log_change(
    target: Project | Milestone | Task,
    action: str,
    actor: User | None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Write the change to the portal's audit log, inside the caller's transaction."""
    audit_log(
        portal=target.portal, actor=actor, action=action, target=target, before=before, after=after
    )
