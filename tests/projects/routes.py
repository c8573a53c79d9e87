"""Every URL of the project pages, with what it needs, for tests that try them all.

`test_access.py::test_route_table_lists_every_project_url` fails when a URL is
added to portail/projects/urls.py without a line here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from portail.portals.models import Membership
from portail.projects.models import Milestone, Project, Task

GET = frozenset({"GET"})
POST = frozenset({"POST"})
GET_POST = frozenset({"GET", "POST"})


@dataclass(frozen=True)
class Route:
    name: str
    # which objects go in the URL: project, milestone, task, member (staff), client (a client
    # member of the project, for "view as")
    needs: tuple[str, ...]
    methods: frozenset[str]

    @property
    def post_only(self) -> bool:
        return self.methods == POST


ROUTES = (
    Route("list", (), GET),
    Route("create", (), GET_POST),
    Route("detail", ("project",), GET),
    Route("edit", ("project",), GET_POST),
    Route("archive", ("project",), POST),
    Route("restore", ("project",), POST),
    Route("staff", ("project",), GET),
    Route("view-as", ("project", "client"), GET),
    Route("member-add", ("project",), POST),
    Route("member-remove", ("project", "member"), POST),
    Route("milestone-create", ("project",), GET_POST),
    Route("milestone-edit", ("project", "milestone"), GET_POST),
    Route("milestone-close", ("project", "milestone"), POST),
    Route("milestone-reopen", ("project", "milestone"), POST),
    Route("milestone-delete", ("project", "milestone"), POST),
    Route("task-create", ("project",), GET_POST),
    Route("task-edit", ("project", "task"), GET_POST),
    Route("task-done", ("project", "task"), POST),
    Route("task-reopen", ("project", "task"), POST),
    Route("task-delete", ("project", "task"), POST),
)
OBJECT_ROUTES = tuple(r for r in ROUTES if r.needs)


@dataclass
class Objects:
    project: Project
    milestone: Milestone
    task: Task
    member: Membership
    client: Membership | None = None


def url(route: Route, slug: str, objects: Objects) -> str:
    kwargs: dict[str, Any] = {"portal_slug": slug}
    if "project" in route.needs:
        kwargs["project_id"] = objects.project.pk
    if "milestone" in route.needs:
        kwargs["milestone_id"] = objects.milestone.pk
    if "task" in route.needs:
        kwargs["task_id"] = objects.task.pk
    if "member" in route.needs:
        kwargs["membership_id"] = objects.member.pk
    if "client" in route.needs:
        assert objects.client is not None
        kwargs["membership_id"] = objects.client.pk
    return reverse(f"projects:{route.name}", kwargs=kwargs)


def route(name: str) -> Route:
    return next(r for r in ROUTES if r.name == name)
