"""CI's guard on speed without timing anything: every key request makes the same number of
queries with 5 rows as with 50 (issue 13; the timings are `make bench`'s).

Rows here are what each page lists or counts: client users of the portal and of a
project, projects of a client, tasks of a project, audit events. The world grows from 5
to 50 of each between the two measures of the same request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from zeal import zeal_ignore

from portail.access.catalogue import builtin_client_permissions
from portail.access.models import PermissionOverride
from portail.audit.services import audit_log
from portail.clients.invitation_services import invitation_send
from portail.clients.models import ProjectClient
from portail.portals.models import Membership, MembershipStatus
from portail.projects import plans
from portail.projects.models import Project, ProjectMember
from tests.conftest import World, make_member, make_project

pytestmark = pytest.mark.django_db


@dataclass
class Grown:
    world: World
    size: int = 0

    def to(self, size: int) -> None:
        """Add rows until there are `size` of each kind."""
        with zeal_ignore():  # setting up the rows one by one is not a page's N+1
            self._to(size)

    def _to(self, size: int) -> None:
        world = self.world
        company = world.client.client_company
        assert company is not None
        ProjectClient.objects.get_or_create(
            portal=world.portal, project=world.project, company=company
        )
        paul, _created = ProjectMember.objects.get_or_create(
            portal=world.portal, project=world.project, membership=world.client
        )
        # Paul is customised (as his profile): the clone dialog lists the people to copy to.
        builtin = {code: str(level) for code, level in builtin_client_permissions().items()}
        PermissionOverride.objects.get_or_create(
            portal=world.portal, member=paul, defaults={"permissions": builtin}
        )
        for i in range(self.size, size):
            person = make_member(world.portal, f"person{i:03}@bowman.test", "client", f"P {i}")
            ProjectMember.objects.create(
                portal=world.portal, project=world.project, membership=person
            )
            if i % 2:
                Membership.objects.filter(pk=person.pk).update(status=MembershipStatus.INVITED)
                person.refresh_from_db()
                invitation_send(membership=person, actor=world.admin.user)
            project = make_project(world.portal, world.admin, f"Project {i:03}")
            ProjectClient.objects.create(portal=world.portal, project=project, company=company)
            ProjectMember.objects.create(
                portal=world.portal, project=project, membership=world.client
            )
            plans.task_create(
                project=world.project,
                title=f"Task {i}",
                created_by=world.admin,
                client_visible=True,
            )
            audit_log(
                portal=world.portal,
                actor=world.admin.user,
                action="project.updated",
                target=project,
                after={"owner": world.admin, "members": [person]},
            )
        self.size = size


def count(client: Client, url: str) -> int:
    with zeal_ignore(), CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


@dataclass(frozen=True)
class Request:
    who: str  # "admin" or "client"
    url: Callable[[World], str]


def portal_url(name: str, query: str = "") -> Callable[[World], str]:
    return lambda w: reverse(name, kwargs={"portal_slug": w.portal.slug}) + query


def project_url(name: str, query: str = "") -> Callable[[World], str]:
    return lambda w: (
        reverse(name, kwargs={"portal_slug": w.portal.slug, "project_id": w.project.pk}) + query
    )


def add_users_url(w: World) -> str:
    """The "Add client users" dialog of the company on "Project 000", which has Paul
    only: the people it lists (those of the company not on it) grow with the world."""
    project = Project.objects.filter(portal=w.portal, name="Project 000").get()
    return reverse(
        "project-clients:users-add",
        kwargs={
            "portal_slug": w.portal.slug,
            "project_id": project.pk,
            "company_id": w.client.client_company_id,
        },
    )


def company_query(path: Callable[[World], str]) -> Callable[[World], str]:
    """`path` filtered by the company of the world's client user (whose people grow)."""
    return lambda w: f"{path(w)}?company={w.client.client_company_id}"


def member_url(name: str) -> Callable[[World], str]:
    return lambda w: reverse(
        name,
        kwargs={
            "portal_slug": w.portal.slug,
            "project_id": w.project.pk,
            "membership_id": w.client.pk,
        },
    )


KEY_REQUESTS = {
    "client-users list": Request("admin", portal_url("clients:users")),
    "client-users search": Request("admin", portal_url("clients:users", "?q=bowman")),
    "client companies": Request("admin", portal_url("clients:companies")),
    "client-users by company": Request("admin", company_query(portal_url("clients:users"))),
    "project client-users tab": Request("admin", project_url("project-clients:list")),
    "project client-users tab search": Request(
        "admin", project_url("project-clients:list", "?q=bowman")
    ),
    "project client-users tab by company": Request(
        "admin", company_query(project_url("project-clients:list"))
    ),
    "clone dialog": Request("admin", member_url("member-permissions:clone")),
    "clone dialog search": Request(
        "admin", lambda w: member_url("member-permissions:clone")(w) + "?q=bowman"
    ),
    "add-users dialog": Request("admin", add_users_url),
    "add-users dialog search": Request("admin", lambda w: add_users_url(w) + "?q=bowman"),
    "permission grid": Request("admin", member_url("member-permissions:edit")),
    "audit list": Request("admin", portal_url("audit:events")),
    "project list (staff)": Request("admin", portal_url("projects:list")),
    "project page (staff)": Request("admin", project_url("projects:detail")),
    "home (client)": Request("client", portal_url("projects:list")),
    "project page (client)": Request("client", project_url("projects:detail")),
}


@pytest.mark.parametrize("name", sorted(KEY_REQUESTS))
def test_a_key_request_makes_as_many_queries_with_50_rows_as_with_5(
    world: World, name: str
) -> None:
    request = KEY_REQUESTS[name]
    grown = Grown(world)
    grown.to(5)
    browser = world.client_for(world.admin if request.who == "admin" else world.client)
    url = request.url(world)
    count(browser, url)  # caches warm (content types, the portal's profile, ...)
    at_5 = count(browser, url)

    grown.to(50)
    at_50 = count(browser, url)

    assert at_50 == at_5, f"{name}: {at_5} queries with 5 rows, {at_50} with 50"
