"""Where the audit log links a row it names, while the row still exists.

The apps that own the rows register a link in their `AppConfig.ready` (audit knows no
domain model): the model, and how to make the address of one of its rows in a portal
(or None for a row that has no page, such as a staff member). The log shows the name it
stored either way; the link appears only for rows still there, in the event's portal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models

# (portal slug, row) -> the row's page, or None
Address = Callable[[str, Any], str | None]


@dataclass(frozen=True)
class RowLink:
    model: type[models.Model]
    address: Address


_links: dict[str, RowLink] = {}


def register_row_link(model: type[models.Model], address: Address) -> None:
    _links[model._meta.label_lower] = RowLink(model, address)


def row_addresses(
    *, portal_id: int, portal_slug: str, wanted: dict[str, set[str]]
) -> dict[tuple[str, str], str]:
    """The pages of the rows in `wanted` ({type: ids}) that still exist in the portal:
    one query per type that has a link."""
    found: dict[tuple[str, str], str] = {}
    for row_type, ids in wanted.items():
        link = _links.get(row_type)
        numeric = [int(i) for i in ids if i.isdigit()]
        if link is None or not numeric:
            continue
        rows: Iterable[Any] = link.model._default_manager.filter(
            pk__in=numeric, portal_id=portal_id
        )
        for row in rows:
            address = link.address(portal_slug, row)
            if address:
                found[(row_type, str(row.pk))] = address
    return found
