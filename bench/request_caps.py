"""Timings of the largest requests the caps allow (README "Operations"):
`.venv/bin/python -m pytest bench/request_caps.py -s` (add DATABASE_URL for
PostgreSQL's test twin).

Each case posts, through Django's test client, exactly the limit's worth of work
to its page: "Add people" (CU5) at 300 project places, both ways round; the person's
edit page (CU6) with 20 projects; a project's "Add client users" (PC6) with 100 new
people, and "add everyone matching" with 5,000 client users of the company; "copy to
everyone matching" of a customisation (PE3) to 5,000 people, new and replaced. Prints
each time and fails when one takes more than half of gunicorn's 30 s timeout, the
margin the caps keep.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.shortcuts import resolve_url
from django.test import Client
from zeal import zeal_ignore

from portail.access import customisations
from portail.clients import companies, project_clients
from portail.clients.limits import (
    MAX_MEMBERS_PER_REQUEST,
    MAX_PEOPLE_PER_REQUEST,
    MAX_PROJECT_PLACES_PER_REQUEST,
    MAX_PROJECTS_PER_REQUEST,
)
from portail.projects.models import ProjectMember
from tests.clients.test_request_caps import (
    NO_ADD,
    addresses,
    client_users,
    projects,
    targets,
)
from tests.conftest import World, world  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

BUDGET = 15.0  # seconds: half of gunicorn's default --timeout


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> Iterator[None]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with zeal_ignore():
        yield


def timed(what: str, client: Client, url: str, data: dict[str, Any]) -> None:
    start = time.perf_counter()
    response = client.post(url, data)
    took = time.perf_counter() - start
    print(f"\n{what}: {took:.2f} s")
    assert response.status_code == 302, response.content[:2000]
    assert took < BUDGET, f"{what} took {took:.1f} s, more than {BUDGET} s"


@pytest.mark.parametrize(
    ("people", "count"),
    [
        (MAX_PEOPLE_PER_REQUEST, MAX_PROJECT_PLACES_PER_REQUEST // MAX_PEOPLE_PER_REQUEST),
        (MAX_PROJECT_PLACES_PER_REQUEST // MAX_PROJECTS_PER_REQUEST, MAX_PROJECTS_PER_REQUEST),
    ],
)
def test_cu5_add_people_at_the_limit(world: World, people: int, count: int) -> None:  # noqa: F811
    company = companies.company_create(portal=world.portal, actor=None, name="Bowman")
    chosen = [p.pk for p in projects(world, count)]
    timed(
        f"CU5 {people} people on {count} projects",
        world.client_for(world.admin),
        resolve_url("clients:company-users-add", portal_slug="acme", company_id=company.pk),
        {"emails": "\n".join(addresses(people)), "projects": chosen},
    )


def test_cu6_more_projects_at_the_limit(world: World) -> None:  # noqa: F811
    chosen = [p.pk for p in projects(world, MAX_PROJECTS_PER_REQUEST)]
    timed(
        f"CU6 one person on {MAX_PROJECTS_PER_REQUEST} more projects",
        world.client_for(world.admin),
        resolve_url("clients:user-edit", portal_slug="acme", membership_id=world.client.pk),
        {"profile": world.client.client_profile_id, "add_projects": chosen},
    )


def test_pc6_add_client_users_at_the_limit(world: World) -> None:  # noqa: F811
    company = world.client.client_company
    assert company is not None
    project_clients.project_client_add(project=world.project, company=company, actor=None)
    timed(
        f"PC6 {MAX_PEOPLE_PER_REQUEST} new people",
        world.client_for(world.admin),
        resolve_url(
            "project-clients:users-add",
            portal_slug="acme",
            project_id=world.project.pk,
            company_id=company.pk,
        ),
        {"new_emails": "\n".join(addresses(MAX_PEOPLE_PER_REQUEST))},
    )


def test_pc6_add_everyone_matching_at_the_limit(world: World) -> None:  # noqa: F811
    company = companies.company_create(portal=world.portal, actor=None, name="Bowman")
    project_clients.project_client_add(project=world.project, company=company, actor=None)
    client_users(world, company, MAX_MEMBERS_PER_REQUEST)
    timed(
        f"PC6 everyone matching: {MAX_MEMBERS_PER_REQUEST} client users",
        world.client_for(world.admin),
        resolve_url(
            "project-clients:users-add",
            portal_slug="acme",
            project_id=world.project.pk,
            company_id=company.pk,
        ),
        {"everyone": "on"},
    )
    assert ProjectMember.objects.filter(project=world.project).count() > MAX_MEMBERS_PER_REQUEST


def test_pe3_clone_to_everyone_matching_at_the_limit(world: World) -> None:  # noqa: F811
    source = ProjectMember.objects.create(
        portal=world.portal, project=world.project, membership=world.client
    )
    customisations.member_permissions_customise(
        member=source, permissions=NO_ADD, actor=world.admin.user
    )
    targets(world, customisations.MAX_CLONE_TARGETS)
    admin = world.client_for(world.admin)
    url = resolve_url(
        "member-permissions:clone",
        portal_slug="acme",
        project_id=world.project.pk,
        membership_id=world.client.pk,
    )
    count = customisations.MAX_CLONE_TARGETS
    timed(f"PE3 copy to everyone matching: {count} people", admin, url, {"everyone": "on"})
    timed(f"PE3 again, replacing {count} customisations", admin, url, {"everyone": "on"})
