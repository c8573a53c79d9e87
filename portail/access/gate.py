"""The one gate of project-level access: pages and the API ask it, with no request.

    granted = authorize(membership, project_id, TASKS_EDIT, item=task_id)

loads the project *from the person's portal* among those they may view, then (with
`item`) the row *from that project* among those they may see, through the generic
`visible` selector of the row's module. Anything the person cannot see (a project they
are not on or may not view, an internal row, another person's row at an `own` view
level), or of another portal or project, raises `NotFound` (no existence leak). Then it
asks `rules.can`, with the row for `own` levels; a refusal raises `Forbidden`. Staff and
client users go through the same check (PE5); `staff_only` raises `NotFound` for a
client user whatever their permissions.

The row's module is the code's (`tasks.edit` loads a task); `of` names another
module's rows (`of="member"` with `project.edit`: staff pages about one person).
The project's permissions are resolved once here and handed on (`Granted.perms`), so
the page does not resolve them again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Model

from portail.access import rules
from portail.access.rules import PermissionSet
from portail.access.selectors import visible, visible_projects
from portail.portals.models import Membership
from portail.projects.models import Project
from portail.registry import Module, registry
from portail.web import clean_id


class NotFound(Exception):
    """Not there, or not for this person to know about: a page answers 404."""


class Forbidden(Exception):
    """Seen, but not allowed: a page answers 403."""


@dataclass(frozen=True)
class Granted:
    project: Project
    perms: PermissionSet
    item: Model | None = None


def item_module(code: str, of: str | None) -> Module:
    """The module whose rows `authorize(..., item=...)` loads for `code`."""
    if of is not None:
        return registry.item_module(of)
    module, _ability = registry.split(code)
    if module.item is None:
        raise ValueError(f"{code!r}: its module has no items; say which with `of`")
    return module


def authorize(
    membership: Membership,
    project_id: Any,
    code: str,
    *,
    item: Any = None,
    of: str | None = None,
    staff_only: bool = False,
) -> Granted:
    """The project (and row) if this person may do `code` there; else NotFound/Forbidden.

    `project_id` and `item` may be raw values from a URL or a request body: a value
    that is not an id is NotFound like an unknown one.
    """
    registry.validate_code(code)
    if staff_only and not membership.is_staff:
        raise NotFound
    pk = clean_id(project_id)
    project = (
        visible_projects(membership).select_related("owner__user").filter(pk=pk).first()
        if pk is not None
        else None
    )
    if project is None:
        raise NotFound
    perms = rules.permissions(membership, project)
    obj: Model | None = None
    if item is not None or of is not None:
        module = item_module(code, of)
        row_id = clean_id(item)
        rows = visible(membership, project, module).select_related(*module.related)
        obj = rows.filter(**{module.lookup: row_id}).first() if row_id is not None else None
        if obj is None:
            raise NotFound
        obj.project = project  # loaded already; saves a query later
    if not rules.can(membership, project, code, obj, perms=perms):
        raise Forbidden
    return Granted(project=project, perms=perms, item=obj)
