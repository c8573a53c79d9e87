"""`project_permission` loads from the tenant (404) before it asks `can` (403)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.test import RequestFactory

from portail.access import rules
from portail.access.catalogue import UnknownPermission
from portail.access.decorators import project_permission
from portail.portals.decorators import portal_member
from portail.portals.models import Membership
from portail.portals.roles import portal_permission
from portail.projects import plans
from portail.projects.models import ProjectMember, Task
from portail.projects.permissions import CREATE_PROJECTS, PROJECT_VIEW, TASKS_EDIT
from tests.conftest import World

pytestmark = pytest.mark.django_db


def request_as(membership: Membership | None) -> HttpRequest:
    request = RequestFactory().get("/")
    request.membership = membership  # type: ignore[attr-defined]
    request.portal = membership.portal if membership else None  # type: ignore[attr-defined]
    return request


@project_permission(TASKS_EDIT, item="task")
def view(request: HttpRequest, project: Any, task: Any, extra: str = "") -> HttpResponse:
    return HttpResponse(f"{project.name}/{task.title}/{extra}")


def test_the_view_gets_the_project_and_task_and_other_kwargs(world: World) -> None:
    task = plans.task_create(project=world.project, title="Logo", created_by=None)
    response = view(
        request_as(world.employee),
        portal_slug="acme",
        project_id=world.project.pk,
        task_id=task.pk,
        extra="x",
    )
    assert response.content == b"Website/Logo/x"
    assert view.required_permission == TASKS_EDIT  # type: ignore[attr-defined]


def test_a_project_the_person_cannot_see_is_404_not_403(world: World) -> None:
    task = plans.task_create(project=world.project, title="Logo", created_by=None)
    with pytest.raises(Http404):
        view(request_as(world.outsider), project_id=world.project.pk, task_id=task.pk)


def test_a_request_outside_a_portal_is_404(world: World) -> None:
    with pytest.raises(Http404):
        view(request_as(None), project_id=world.project.pk, task_id=1)


def test_a_visible_project_without_the_permission_is_403(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Staff have all or nothing: a refusal inside a visible project is 403, not 404."""
    task = plans.task_create(project=world.project, title="Logo", created_by=None)
    monkeypatch.setattr(rules, "can", lambda *args, **kwargs: False)
    with pytest.raises(PermissionDenied):
        view(request_as(world.admin), project_id=world.project.pk, task_id=task.pk)


def _paul_on_the_project(world: World) -> None:
    ProjectMember.objects.create(
        portal=world.portal, project=world.project, membership=world.client
    )


def test_pe5_a_client_on_the_project_reaches_its_pages_through_the_same_check(
    world: World,
) -> None:
    """The built-in profile: tasks.edit at `own`, so his own visible task is his to edit."""
    _paul_on_the_project(world)
    mine = plans.task_create(project=world.project, title="Mine", created_by=world.client)
    response = view(request_as(world.client), project_id=world.project.pk, task_id=mine.pk)
    assert response.content == b"Website/Mine/"


def test_pe5_a_client_seeing_a_task_that_is_not_theirs_is_refused_with_403(world: World) -> None:
    _paul_on_the_project(world)
    task = plans.task_create(
        project=world.project, title="Staff's", created_by=world.admin, client_visible=True
    )
    with pytest.raises(PermissionDenied):
        view(request_as(world.client), project_id=world.project.pk, task_id=task.pk)


def test_pe5_an_internal_task_is_404_to_a_client(world: World) -> None:
    _paul_on_the_project(world)
    task = plans.task_create(project=world.project, title="Internal", created_by=world.admin)
    Task.objects.filter(pk=task.pk).update(created_by=world.client)  # even "his", if internal
    with pytest.raises(Http404):
        view(request_as(world.client), project_id=world.project.pk, task_id=task.pk)


def test_pe5_a_client_not_on_the_project_is_404(world: World) -> None:
    task = plans.task_create(
        project=world.project, title="Shown", created_by=world.client, client_visible=True
    )
    with pytest.raises(Http404):
        view(request_as(world.client), project_id=world.project.pk, task_id=task.pk)


def test_staff_only_pages_are_404_to_a_client_whatever_their_permissions(world: World) -> None:
    _paul_on_the_project(world)

    @project_permission(PROJECT_VIEW, staff_only=True)
    def staff_page(request: HttpRequest, project: Any) -> HttpResponse:
        return HttpResponse("staff")

    assert staff_page(request_as(world.employee), project_id=world.project.pk).content == b"staff"
    with pytest.raises(Http404):
        staff_page(request_as(world.client), project_id=world.project.pk)


def test_an_unknown_code_fails_when_the_view_is_declared() -> None:
    with pytest.raises(UnknownPermission):
        project_permission("tasks.publish")


def test_portal_permission_refuses_with_403(world: World) -> None:
    @portal_permission(CREATE_PROJECTS)
    def create(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    assert create(request_as(world.manager), portal_slug="acme").content == b"ok"
    with pytest.raises(PermissionDenied):
        create(request_as(world.employee), portal_slug="acme")


def test_portal_member_lets_every_member_in(world: World) -> None:
    @portal_member
    def page(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    assert page(request_as(world.client), portal_slug="acme").content == b"ok"
    with pytest.raises(Http404):
        page(request_as(None), portal_slug="acme")
