"""Access declared on the view (STYLE.md 5): what a view needs is read off its decorator.

    @project_permission(TASKS_EDIT, item="task")
    def task_edit(request: PortalRequest, project: Project, task: Task) -> HttpResponse: ...

A thin wrapper over the one gate (`portail.access.gate.authorize`), which the API calls
too: the gate's NotFound answers 404 and Forbidden 403. The view receives the project
(and the row, named by `item`, from the URL's `<item>_id`) as keyword arguments instead
of the ids, and the person's permissions there on `request.project_perms`, resolved once.

Every decorated view carries `required_permission`, so the authorization matrix
(tests) can list what each URL needs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from portail.access.gate import Forbidden, NotFound, authorize
from portail.access.rules import PermissionSet
from portail.portals.decorators import PortalRequest, View, current_membership
from portail.registry import registry


class ProjectRequest(PortalRequest):
    """A request that went through `project_permission` (for type checkers only)."""

    project_perms: PermissionSet


def project_permission(
    code: str, *, item: str | None = None, staff_only: bool = False
) -> Callable[[View], View]:
    """Declare that a view under /projects/<project_id>/ needs `code` (a declared constant).

    `staff_only=True` for staff pages of a project (who its clients are, their
    permissions): a client user gets 404 there, whatever their permissions.

    With `item="task"` (or any module's item name) the URL's `task_id` is looked up
    within the project and the permission is asked about that row. The view is called
    as `view(request, project=..., [task]=..., **other_kwargs)`.
    """
    registry.validate_code(code)  # a typo fails at import time, not at request time
    of = kwarg = None
    if item is not None:
        module = registry.item_module(item)  # an unknown item kind fails at import time too
        own_module, _ability = registry.split(code)
        of = None if module.key == own_module.key else item
        kwarg = module.item_kwarg

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = current_membership(request)
            kwargs.pop("portal_slug", None)
            project_id = kwargs.pop("project_id")
            item_id = kwargs.pop(kwarg) if kwarg is not None else None
            try:
                granted = authorize(
                    membership,
                    project_id,
                    code,
                    item=item_id,
                    of=of,
                    staff_only=staff_only,
                )
            except NotFound:
                raise Http404 from None
            except Forbidden:
                raise PermissionDenied from None
            request.project_perms = granted.perms  # type: ignore[attr-defined]
            if item is not None:
                kwargs[item] = granted.item
            return view(request, *args, project=granted.project, **kwargs)

        wrapper.required_permission = code  # type: ignore[attr-defined]
        wrapper.item = item  # type: ignore[attr-defined]
        wrapper.staff_only = staff_only  # type: ignore[attr-defined]
        return wrapper

    return decorator
