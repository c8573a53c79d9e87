"""Taking a company off several projects at once (CC3, CC4) logs each link by name without
a query per link: the zeal fixture fails these tests on an N+1."""

from __future__ import annotations

import pytest

from portail.audit.models import AuditEvent
from portail.clients import companies
from portail.clients.models import ClientCompany
from tests.conftest import World, make_project

pytestmark = pytest.mark.django_db


def on_three_projects(world: World) -> ClientCompany:
    projects = [
        world.project,
        make_project(world.portal, world.admin, "Brochure"),
        make_project(world.portal, world.admin, "Catalogue"),
    ]
    return companies.company_create(
        portal=world.portal, actor=None, name="Bowman", projects=projects
    )


def removed_links() -> list[str]:
    events = AuditEvent.objects.filter(action="project_client.removed").order_by("pk")
    return [event.target_label for event in events]


def test_cc4_deleting_a_company_on_three_projects_names_each_link(world: World) -> None:
    company = on_three_projects(world)
    companies.company_delete(company=company, actor=world.admin.user)
    assert sorted(removed_links()) == [
        "Bowman · Brochure",
        "Bowman · Catalogue",
        "Bowman · Website",
    ]


def test_cc3_taking_a_company_off_three_projects_names_each_link(world: World) -> None:
    company = on_three_projects(world)
    companies.company_update(company=company, actor=world.admin.user, projects=[])
    assert len(removed_links()) == 3
