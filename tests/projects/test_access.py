"""Who reaches which project page: tenant isolation, staff visibility, methods, sign-in.

DESIGN.md: an object of another portal answers 404, never 403; admins and
managers see every project of their portal, employees only theirs. Client
users reach the projects they are on (tests/projects/test_client_view.py); the
world's client persona is on none, so every project URL is 404 to them here.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import get_resolver

from portail.access.catalogue import codes
from portail.projects import services
from portail.projects.permissions import CREATE_PROJECTS
from portail.workspace import urls as project_urls
from tests.conftest import World, make_project
from tests.projects.routes import OBJECT_ROUTES, ROUTES, Objects, route, url

pytestmark = pytest.mark.django_db


def test_route_table_lists_every_project_url() -> None:
    names = {p.name for p in project_urls.urlpatterns}
    assert names == {r.name for r in ROUTES}


def test_every_project_view_declares_its_permission() -> None:
    """STYLE.md 5: the permission is read off the view, so this matrix can list it."""
    declared = {}
    for pattern in project_urls.urlpatterns:
        assert hasattr(pattern.callback, "required_permission"), pattern.name
        declared[pattern.name] = pattern.callback.required_permission
    assert declared["list"] is None  # open to members; the list itself is filtered
    assert declared["create"] == CREATE_PROJECTS
    assert all(code in codes() for name, code in declared.items() if name not in {"list", "create"})


# Tenant isolation -----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_other_portal_urls_are_404_for_an_admin_of_this_portal(
    world: World, theirs: Objects, method: str
) -> None:
    """Every project, milestone and task URL of portal B, under B's address: 404."""
    client = world.client_for(world.admin)
    statuses = {
        r.name: getattr(client, method)(url(r, "other", theirs)).status_code for r in ROUTES
    }
    assert statuses == {r.name: 404 for r in ROUTES}


@pytest.mark.parametrize("method", ["get", "post"])
def test_other_portal_ids_under_this_portal_address_are_404(
    world: World, theirs: Objects, method: str
) -> None:
    """Portal B's ids typed under portal A's address: 404, and nothing changes."""
    client = world.client_for(world.admin)
    statuses = {
        r.name: getattr(client, method)(url(r, "acme", theirs)).status_code for r in OBJECT_ROUTES
    }
    assert statuses == {r.name: 404 for r in OBJECT_ROUTES}
    theirs.task.refresh_from_db()
    theirs.milestone.refresh_from_db()
    theirs.project.refresh_from_db()
    assert theirs.task.status == "open"
    assert theirs.milestone.closed_at is None
    assert theirs.project.status == "active"


@pytest.mark.parametrize("method", ["get", "post"])
def test_milestone_and_task_ids_of_another_project_are_404(
    world: World, ours: Objects, method: str
) -> None:
    """Ids are looked up within the project of the URL."""
    second = make_project(world.portal, world.admin, "Second project")
    mixed = Objects(
        project=second,
        milestone=ours.milestone,
        task=ours.task,
        member=world.employee,
        client=ours.client,
    )
    routes = [r for r in OBJECT_ROUTES if {"milestone", "task", "member", "client"} & set(r.needs)]
    client = world.client_for(world.admin)
    statuses = {r.name: getattr(client, method)(url(r, "acme", mixed)).status_code for r in routes}
    assert statuses == {r.name: 404 for r in routes}


# Staff visibility -----------------------------------------------------------------------


def _persona_statuses(world: World, path: str) -> list[int]:
    personas = [world.admin, world.manager, world.employee, world.outsider, world.client]
    return [world.client_for(m).get(path).status_code for m in personas]


def test_project_page_admin_manager_and_member_employee_see_it(world: World, ours: Objects) -> None:
    detail = url(route("detail"), "acme", ours)
    #                                        admin manager employee outsider client
    assert _persona_statuses(world, detail) == [200, 200, 200, 404, 404]


def test_project_edit_pages_follow_the_same_visibility(world: World, ours: Objects) -> None:
    for r in OBJECT_ROUTES:
        if "GET" not in r.methods:
            continue
        assert _persona_statuses(world, url(r, "acme", ours)) == [200, 200, 200, 404, 404], r.name


def test_employee_not_on_the_project_gets_404_on_every_url(world: World, ours: Objects) -> None:
    client = world.client_for(world.outsider)
    statuses = {r.name: client.post(url(r, "acme", ours)).status_code for r in OBJECT_ROUTES}
    assert statuses == {r.name: 404 for r in OBJECT_ROUTES}
    ours.task.refresh_from_db()
    assert ours.task.status == "open"


def test_create_project_is_for_admins_and_managers(world: World, ours: Objects) -> None:
    create = url(route("create"), "acme", ours)
    assert _persona_statuses(world, create) == [200, 200, 403, 403, 403]


def test_list_shows_admins_and_managers_every_project_employees_only_theirs(world: World) -> None:
    extra = make_project(world.portal, world.manager, "Brochure")
    list_url = resolve_url("projects:list", portal_slug="acme")

    def names(membership: object) -> set[str]:
        response = world.client_for(membership).get(list_url)  # type: ignore[arg-type]
        assert response.status_code == 200
        return {row.project.name for row in response.context["rows"]}

    assert names(world.admin) == {"Website", "Brochure"}
    assert names(world.manager) == {"Website", "Brochure"}
    assert names(world.employee) == {"Website"}
    assert names(world.outsider) == set()
    services.project_member_add(actor=None, project=extra, membership=world.outsider)
    assert names(world.outsider) == {"Brochure"}


def test_list_never_shows_another_portals_projects(world: World) -> None:
    response = world.client_for(world.admin).get(resolve_url("projects:list", portal_slug="acme"))
    assert b"Other website" not in response.content


def test_client_list_is_a_friendly_empty_state(world: World) -> None:
    response = world.client_for(world.client).get(resolve_url("projects:list", portal_slug="acme"))
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert b"Nothing to show yet." in response.content
    assert b"Website" not in response.content


def test_employee_without_projects_sees_an_empty_state(world: World) -> None:
    response = world.client_for(world.outsider).get(
        resolve_url("projects:list", portal_slug="acme")
    )
    assert response.status_code == 200
    assert b"You are not on any current project." in response.content
    assert b"New project" not in response.content


# Methods and sign-in --------------------------------------------------------------------


def test_every_post_view_refuses_get(world: World, ours: Objects) -> None:
    client = world.client_for(world.admin)
    post_only = [r for r in ROUTES if r.post_only]
    assert len(post_only) == 10
    statuses = {r.name: client.get(url(r, "acme", ours)).status_code for r in post_only}
    assert statuses == {r.name: 405 for r in post_only}


def test_read_only_views_refuse_post(world: World, ours: Objects) -> None:
    client = world.client_for(world.admin)
    read_only = [r for r in ROUTES if r.methods == frozenset({"GET"})]
    statuses = {r.name: client.post(url(r, "acme", ours)).status_code for r in read_only}
    assert statuses == {r.name: 405 for r in read_only}


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_sign_in(
    world: World, ours: Objects, client: object, method: str
) -> None:
    signin = resolve_url(settings.LOGIN_URL)
    for r in ROUTES:
        response = getattr(client, method)(url(r, "acme", ours))
        assert response.status_code == 302, r.name
        assert response["Location"].startswith(signin), r.name
    ours.task.refresh_from_db()
    assert ours.task.status == "open"


def test_project_urls_are_under_the_portal_address() -> None:
    resolver = get_resolver()
    match = resolver.resolve("/p/acme/projects/1/tasks/2/done/")
    assert match.url_name == "task-done"
    assert match.kwargs == {"portal_slug": "acme", "project_id": 1, "task_id": 2}
