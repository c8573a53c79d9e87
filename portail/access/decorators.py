"""Access declared on the view (STYLE.md 5): what a view needs is read off its decorator.

    @project_permission(TASKS_EDIT, item="task")
    def task_edit(request: PortalRequest, project: Project, task: Task) -> HttpResponse: ...

`project_permission` loads the project *from the person's portal* through
`visible_projects`, and the milestone or task *from that project* through
`visible_milestones` / `visible_tasks`: anything the person cannot see (a
project they are not on or may not view, an internal item, another person's
item at an `own` view level), or of another portal or project, answers 404
(no existence leak). Then it asks `rules.can`, with the item for `own`
levels; a refusal answers 403. The view receives the objects as keyword
arguments instead of the ids. Staff and client users go through the same
check (PE5); `staff_only` pages are 404 to client users whatever their
permissions.

Every decorated view carries `required_permission`, so the authorization
matrix (tests) can list what each URL needs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from portail.access import rules
from portail.access.catalogue import validate_code
from portail.access.selectors import (
    visible_milestones,
    visible_project_members,
    visible_projects,
    visible_tasks,
)
from portail.portals.decorators import View, current_membership
from portail.portals.models import Membership
from portail.projects.models import Milestone, Project, ProjectMember, Task

ItemKind = Literal["milestone", "task", "member"]
# The URL keyword that carries each item's id.
ITEM_URL_KWARGS: dict[str, str] = {
    "milestone": "milestone_id",
    "task": "task_id",
    "member": "membership_id",
}


def _load_item(
    kind: ItemKind, membership: Membership, project: Project, item_id: Any
) -> Milestone | Task | ProjectMember:
    obj: Milestone | Task | ProjectMember
    if kind == "milestone":
        obj = get_object_or_404(visible_milestones(membership, project), pk=item_id)
    elif kind == "task":
        obj = get_object_or_404(
            visible_tasks(membership, project).select_related("assignee__user"), pk=item_id
        )
    else:
        obj = get_object_or_404(
            visible_project_members(membership, project).select_related("membership__user"),
            membership_id=item_id,
        )
    obj.project = project  # already loaded; saves a query in services and templates
    return obj


def project_permission(
    code: str, *, item: ItemKind | None = None, staff_only: bool = False
) -> Callable[[View], View]:
    """Declare that a view under /projects/<project_id>/ needs `code` (a catalogue constant).

    `staff_only=True` for staff pages of a project (who its clients are, their
    permissions): a client user gets 404 there, whatever their permissions.

    With `item="milestone"` (`"task"`, `"member"`) the URL's `milestone_id`
    (`task_id`, `membership_id`) is looked up within the project and the
    permission is asked about that object. The view is called as
    `view(request, project=..., [milestone|task|member]=..., **other_kwargs)`.
    """
    validate_code(code)  # a typo fails at import time, not at request time

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = current_membership(request)
            kwargs.pop("portal_slug", None)
            if staff_only and not membership.is_staff:
                raise Http404
            # A client user reaches the projects they are on and may view (their
            # customisation there, else their profile); anyone else gets 404.
            project = get_object_or_404(
                visible_projects(membership).select_related("owner__user"),
                pk=kwargs.pop("project_id"),
            )
            obj: Milestone | Task | ProjectMember | None = None
            if item is not None:
                # Through the access selectors: an item the person may not see (internal,
                # or not theirs at an `own` view level) is 404, like another project's.
                obj = _load_item(item, membership, project, kwargs.pop(ITEM_URL_KWARGS[item]))
                kwargs[item] = obj
            # Seen, but not allowed (no level, or `own` and not theirs): 403.
            if not rules.can(membership, project, code, obj):
                raise PermissionDenied
            return view(request, *args, project=project, **kwargs)

        wrapper.required_permission = code  # type: ignore[attr-defined]
        wrapper.staff_only = staff_only  # type: ignore[attr-defined]
        return wrapper

    return decorator
