"""In a real browser (RULES PC4, PC6): on a project's Users -> Client users tab, staff set
another client company as the primary client and see the mark move in one step; then they
add an existing client user of the company to the project."""

from __future__ import annotations

import re

from django.core.management import call_command
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from portail.clients.models import ProjectClient
from portail.demo.management.commands.load_demo import ALICE, BOWMAN, DEMO_PASSWORD, SOPHIE
from portail.projects.models import ProjectMember
from tests.e2e.test_projects import sign_in

PROJECT = "Spring catalogue"
PRINTER = "Imprimerie Vasseur"


def test_pc4_staff_set_another_primary_client_and_add_a_client_user(
    live_server: LiveServer, page: Page
) -> None:
    call_command("load_demo", "--allow-production", verbosity=0)
    broken: list[str] = []
    page.on("response", lambda r: broken.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    sign_in(page, live_server.url, ALICE.email, DEMO_PASSWORD)
    page.get_by_role("link", name=PROJECT).click()
    page.get_by_role("navigation", name="Project sections").get_by_role(
        "link", name="Users"
    ).click()
    page.get_by_role("navigation", name="Project users").get_by_role(
        "link", name="Client users"
    ).click()
    expect(page).to_have_url(re.compile(r"/projects/\d+/clients/$"))

    companies = page.get_by_role("region", name="Client companies")
    bowman = companies.get_by_role("row", name=re.compile(re.escape(BOWMAN)))
    printer = companies.get_by_role("row", name=re.compile(PRINTER))
    expect(bowman.locator(".badge-primary")).to_have_text("Primary client")
    expect(printer.locator(".badge-primary")).to_have_count(0)

    # PC4: the printer becomes the primary client; Bowman loses the mark in the same step.
    printer.get_by_role("button", name=f"Set as primary {PRINTER}").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"“{PRINTER}” is now the primary client of this project."
    )
    companies = page.get_by_role("region", name="Client companies")
    printer = companies.get_by_role("row", name=re.compile(PRINTER))
    bowman = companies.get_by_role("row", name=re.compile(re.escape(BOWMAN)))
    expect(printer.locator(".badge-primary")).to_have_text("Primary client")
    expect(bowman.locator(".badge-primary")).to_have_count(0)
    expect(bowman.get_by_role("button", name=f"Set as primary {BOWMAN}")).to_be_visible()
    primary = ProjectClient.objects.get(project__name=PROJECT, is_primary=True)
    assert primary.company.name == PRINTER

    # PC6: Sophie, of Bowman, is not on this project yet: tick her and add her.
    # Issue 13: the tab lists a page of people; Bowman's own are one click away.
    bowman.get_by_role("link", name=f"See its people {BOWMAN}").click()
    people = page.get_by_role("region", name=f"People of {BOWMAN} on the project")
    expect(people.get_by_role("row")).not_to_have_count(0)
    expect(people).not_to_contain_text(SOPHIE.email)
    bowman = page.get_by_role("region", name="Client companies").get_by_role(
        "row", name=re.compile(re.escape(BOWMAN))
    )
    bowman.get_by_role("link", name=f"Add users of {BOWMAN}").click()
    page.get_by_label(re.compile(re.escape(SOPHIE.email))).check()
    page.get_by_role("button", name="Add selected").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"1 person added to the project: {SOPHIE.full_name}."
    )
    # Back on the tab, showing Bowman's people only (issue 13: the tab is paginated).
    people = page.get_by_role("region", name=f"People of {BOWMAN} on the project")
    expect(people.get_by_role("row", name=re.compile(SOPHIE.full_name))).to_be_visible()
    assert ProjectMember.objects.filter(
        project__name=PROJECT, membership__user__email=SOPHIE.email
    ).exists()
    assert broken == []
