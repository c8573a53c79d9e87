"""In a real browser (RULES PE2, PE3, PE4, PE7): an admin takes "add tasks" away from one
client user of a project and the client's own page, in a second browser, loses its
"Add task"; the customisation is cloned to two other client users; removing it gives the
client their profile's permissions back, and the page its "Add task"."""

from __future__ import annotations

import re

from django.core.management import call_command
from playwright.sync_api import Browser, Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from portail.access.models import PermissionOverride
from portail.clients.client_users import client_user_add
from portail.clients.models import ClientCompany
from portail.demo.management.commands.load_demo import ALICE, DEMO_PASSWORD, PAUL, SOPHIE
from portail.portals.models import Membership, Portal
from portail.projects.models import Project
from portail.projects.permissions import TASKS_ADD
from tests.e2e.test_projects import sign_in

PROJECT = "Spring catalogue"  # Paul follows it, with Claire (invitation pending)
RITA = "rita@bowman.com"


def add_task(page: Page) -> Locator:
    """What lets a client add a task on the project page: the quick-add box or a link."""
    return (
        page.get_by_role("textbox", name="New task title")
        .or_(page.get_by_role("link", name="Add task"))
        .or_(page.get_by_role("button", name="Add task"))
    )


def test_pe2_pe3_pe4_customise_clone_and_reset_while_the_client_watches(
    live_server: LiveServer, page: Page, browser: Browser
) -> None:
    call_command("load_demo", "--allow-production", verbosity=0)
    portal = Portal.objects.get(slug="demo")
    project = Project.objects.get(portal=portal, name=PROJECT)
    # A colleague of Paul's on the same project, active at once.
    client_user_add(
        portal=portal,
        actor=None,
        email=RITA,
        full_name="Rita Bowman",
        company=ClientCompany.objects.get(portal=portal, name="Bowman Furniture's"),
        projects=[project],
        invite=False,
    )
    paul = Membership.objects.get(portal=portal, user__email=PAUL.email)
    broken: list[str] = []
    page.on("response", lambda r: broken.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    project_url = f"{live_server.url}/p/demo/projects/{project.pk}/"
    permissions_url = f"{project_url}clients/users/{paul.pk}/permissions/"

    # Paul, in his own browser, may add tasks (the built-in profile).
    theirs = browser.new_context(locale="en-GB")
    try:
        client = theirs.new_page()
        sign_in(client, live_server.url, PAUL.email, DEMO_PASSWORD)
        expect(client).to_have_url(re.compile(r"/p/demo/projects/$"))
        client.goto(project_url)
        expect(client.get_by_role("heading", level=1)).to_contain_text(PROJECT)
        expect(add_task(client).first).to_be_visible()

        # PE2: the admin takes "add tasks" away from Paul in this project.
        sign_in(page, live_server.url, ALICE.email, DEMO_PASSWORD)
        page.goto(permissions_url)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Permissions of Paul Bowman")
        page.get_by_role("link", name="Customise permissions for this user").click()
        expect(page.get_by_text("applies in Spring catalogue only")).to_be_visible()
        expect(page.get_by_label("Tasks: Add")).to_be_checked()  # his effective permissions
        page.get_by_label("Tasks: Add").uncheck()
        page.get_by_role("button", name="Save customisation").click()
        expect(page.get_by_role("status")).to_contain_text(
            "Permissions of Paul Bowman customised in this project."
        )
        # PE7: the diff says what changed against the profile.
        expect(page.locator(f'li[data-code="{TASKS_ADD}"]')).to_contain_text(
            "Profile: Yes → Here: No"
        )

        # Paul's page no longer offers to add a task.
        client.reload()
        expect(client.get_by_role("heading", level=1)).to_contain_text(PROJECT)
        expect(add_task(client)).to_have_count(0)

        # PE3: clone to Rita and Claire, ticked in the list of the project's client users.
        page.get_by_role("link", name="Clone customisation").click()
        page.get_by_label(re.compile(r"^Rita Bowman")).check()
        page.get_by_label(re.compile(r"^Claire Vasseur")).check()
        page.get_by_role("button", name="Copy the customisation").click()
        expect(page.get_by_role("status")).to_contain_text(
            "copied to 2 client users: Rita Bowman, Claire Vasseur"
        )
        copied = {
            o.member.membership.user.email: o.permissions[TASKS_ADD]
            for o in PermissionOverride.objects.select_related("member__membership__user")
            # Sophie's customisation of another project comes with the demo.
            if o.member.membership.user.email != SOPHIE.email
        }
        assert copied == {
            PAUL.email: "none",
            RITA: "none",
            "claire@imprimerie-vasseur.test": "none",
        }

        # PE4: removing Paul's customisation, after confirming, gives him "Add task" back.
        page.locator("details.confirm > summary").click()
        page.locator("details.confirm").get_by_role("button", name="Remove customisation").click()
        expect(page.get_by_role("status")).to_contain_text(
            "Customisation removed: Paul Bowman has the permissions of the profile “Client” again."
        )
        expect(page.get_by_text("there is no customisation in this project")).to_be_visible()
        client.reload()
        expect(add_task(client).first).to_be_visible()
    finally:
        theirs.close()
    # The two clones stay.
    assert sorted(
        PermissionOverride.objects.values_list("member__membership__user__email", flat=True)
    ) == ["claire@imprimerie-vasseur.test", RITA, SOPHIE.email]
    assert broken == []
