"""In a real browser (RULES CX1, CX2, CX3): a client user signs in, sees their project with
its progress, opens it, adds a task and sees it; the project's internal work never shows."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from portail.access.profiles import client_profile_builtin
from portail.clients import project_clients
from portail.clients.models import ClientCompany
from portail.portals.models import Membership, MembershipKind, Portal, StaffRole
from portail.projects import plans, services
from portail.projects.models import ProjectMember, Task, TaskStatus
from tests.conftest import PASSWORD, make_user
from tests.e2e.test_projects import sign_in

CLIENT_EMAIL = "paul@bowman.test"
NEW_TASK = "Send us the brand guide"


def _scene() -> None:
    portal = Portal.objects.create(name="Acme Studio", slug="acme")
    admin = Membership.objects.create(
        user=make_user("admin@acme.test", "Ada Admin"),
        portal=portal,
        kind=MembershipKind.STAFF,
        role=StaffRole.ADMIN,
    )
    company = ClientCompany.objects.create(portal=portal, name="Bowman Test Co")
    paul = Membership.objects.create(
        user=make_user(CLIENT_EMAIL, "Paul Bowman"),
        portal=portal,
        kind=MembershipKind.CLIENT,
        client_company=company,
        client_profile=client_profile_builtin(portal=portal),
    )
    website = services.project_create(actor=None, portal=portal, name="Website", owner=admin)
    services.project_create(actor=None, portal=portal, name="Not for Paul", owner=admin)
    project_clients.project_client_add(project=website, company=company, actor=None)
    ProjectMember.objects.create(portal=portal, project=website, membership=paul)
    launch = plans.milestone_create(project=website, title="Launch", client_visible=True)
    plans.milestone_create(project=website, title="Internal planning")
    plans.task_create(
        project=website,
        title="Write copy",
        created_by=admin,
        milestone=launch,
        client_visible=True,
        status=TaskStatus.DONE,
    )
    plans.task_create(project=website, title="Pick colours", created_by=admin, client_visible=True)
    plans.task_create(project=website, title="Budget review", created_by=admin, milestone=launch)


def test_cx2_client_sees_their_project_and_adds_a_task(live_server: LiveServer, page: Page) -> None:
    _scene()
    broken: list[str] = []
    page.on("response", lambda r: broken.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    sign_in(page, live_server.url, CLIENT_EMAIL, PASSWORD)
    # CX1: their projects, with progress counted on what they may see (1 of 2 tasks).
    expect(page).to_have_url(re.compile(r"/p/acme/projects/$"))
    table = page.get_by_role("table")
    expect(table).to_contain_text("Website")
    expect(table).to_contain_text("1/2 tasks · 50 %")
    expect(table).to_contain_text("Launch")
    expect(table).not_to_contain_text("Not for Paul")
    expect(table).not_to_contain_text("Internal planning")

    # CX2: the project page shows the visible work only, and no staff parts.
    page.get_by_role("link", name="Website").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Website")
    main = page.get_by_role("main")
    expect(main).to_contain_text("Write copy")
    expect(main).to_contain_text("Pick colours")
    expect(main).not_to_contain_text("Budget review")
    expect(main).not_to_contain_text("Internal planning")
    expect(page.get_by_role("link", name="Edit project")).to_have_count(0)
    expect(page.get_by_role("link", name="Users")).to_have_count(0)
    bar = page.locator("#project-progress").get_by_role("progressbar")
    expect(bar).to_have_attribute("aria-valuetext", "1 of 2 tasks done")

    # The built-in profile adds tasks: the full form, without staff-only fields.
    page.get_by_role("link", name="Add task").click()
    expect(page.get_by_label("Assignee")).to_have_count(0)
    expect(page.get_by_label("Visible to clients")).to_have_count(0)
    page.get_by_label("Title").fill(NEW_TASK)
    page.get_by_role("button", name="Add task").click()
    expect(page.get_by_role("status")).to_contain_text("Task added.")
    expect(page.get_by_role("main")).to_contain_text(NEW_TASK)
    expect(bar).to_have_attribute("aria-valuetext", "1 of 3 tasks done")

    # Their own task is theirs to tick (tasks.edit at `own`); staff's tasks are not.
    page.get_by_role("button", name=f"Mark “{NEW_TASK}” done").click()
    expect(bar).to_have_attribute("aria-valuetext", "2 of 3 tasks done")
    expect(page.get_by_role("button", name="Mark “Pick colours” done")).to_have_count(0)
    expect(page.get_by_role("main")).not_to_contain_text("Budget review")

    assert broken == []
    task = Task.objects.select_related("created_by__user").get(title=NEW_TASK)
    assert task.client_visible is True
    assert task.status == TaskStatus.DONE
    assert task.created_by is not None
    assert task.created_by.user.email == CLIENT_EMAIL
