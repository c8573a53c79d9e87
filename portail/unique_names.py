"""A name unique among some rows (a portal's companies, its profiles...), compared the way
the database constraint compares it, checked before saving and decided by the constraint
when two requests take the same name at once: both give the caller the same error.

A library, like portail/web.py: it imports only Django, and each app keeps its own
constraint, query and message. The constraint must compare `Lower(Trim(field))`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet, Value
from django.db.models.functions import Lower, Trim

M = TypeVar("M", bound=models.Model)


def same_name(
    rows: QuerySet[M], name: str, *, exclude_pk: int | None = None, field: str = "name"
) -> M | None:
    """The row of `rows` whose `field` matches `name`, ignoring case and surrounding spaces
    (the first one made, should there be several), or None.

    Compared in the database, with the expression of the constraint, so that the check
    and the constraint agree in every alphabet. `exclude_pk` leaves out the row being
    renamed.
    """
    found = rows.annotate(name_key=Lower(Trim(field))).filter(name_key=Lower(Trim(Value(name))))
    if exclude_pk is not None:
        found = found.exclude(pk=exclude_pk)
    return found.order_by("pk").first()


def save_unique(
    row: M,
    *,
    existing: Callable[[], M | None],
    taken: Callable[[M], ValidationError],
    **save_kwargs: Any,
) -> None:
    """Save `row`. When the constraint refuses it because a concurrent request took the
    name first (after the caller's check passed), raise `taken(existing())`, the error the
    check gives; any other integrity error is raised as it is.

    `existing` looks the name up again (usually `same_name` on the rows of the same
    scope); it is called only after a refusal. The save runs in a savepoint, so the
    caller's transaction stays usable.
    """
    try:
        with transaction.atomic():
            row.save(**save_kwargs)
    except IntegrityError:
        holder = existing()
        if holder is None:
            raise
        raise taken(holder) from None
