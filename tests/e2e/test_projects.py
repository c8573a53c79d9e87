"""In a real browser: the demo admin signs in, adds a task, ticks tasks done, and the
project's progress follows."""

from __future__ import annotations

import re

from django.core.management import call_command
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from portail.demo.management.commands.load_demo import ALICE, DEMO_PASSWORD
from portail.projects.models import Task, TaskStatus

NEW_TASK = "Send the launch newsletter"


def sign_in(page: Page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/signin/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_admin_signs_in_creates_task_and_sees_progress_change(
    live_server: LiveServer, page: Page
) -> None:
    call_command("load_demo", "--allow-production", verbosity=0)  # tests run with DEBUG=False
    broken: list[str] = []
    page.on("response", lambda r: broken.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    sign_in(page, live_server.url, ALICE.email, DEMO_PASSWORD)
    # Alice is in one portal only: she lands on its projects.
    expect(page).to_have_url(re.compile(r"/p/demo/projects/$"))
    page.get_by_role("link", name="Showroom website").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Showroom website")

    # The page is whole: its stylesheet and htmx loaded (ticks below go through htmx).
    assert page.evaluate("() => typeof window.htmx") == "object"

    progress = page.locator("#project-progress")
    bar = progress.get_by_role("progressbar")
    expect(bar).to_have_attribute("aria-valuetext", "9 of 10 tasks done")
    expect(bar).to_have_attribute("aria-valuenow", "90")

    # Add a task: the project now has one more to do.
    loose = page.get_by_role("article", name="Tasks without a milestone")
    loose.get_by_label("New task title").fill(NEW_TASK)
    loose.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Task added.")
    expect(bar).to_have_attribute("aria-valuetext", "9 of 11 tasks done")
    expect(bar).not_to_have_attribute("aria-valuenow", "90")
    expect(progress).to_contain_text("9/11 tasks")

    # Tick it done, then the last open task: progress moves in place, up to 100 %.
    page.get_by_role("button", name=f"Mark “{NEW_TASK}” done").click()
    expect(page.get_by_role("button", name=f"Reopen “{NEW_TASK}”")).to_be_visible()
    expect(bar).to_have_attribute("aria-valuetext", "10 of 11 tasks done")
    page.get_by_role("button", name="Mark “Go live” done").click()
    expect(bar).to_have_attribute("aria-valuetext", "11 of 11 tasks done")
    expect(bar).to_have_attribute("aria-valuenow", "100")

    page.reload()
    expect(page.locator("#project-progress").get_by_role("progressbar")).to_have_attribute(
        "aria-valuetext", "11 of 11 tasks done"
    )
    assert broken == []
    task = Task.objects.select_related("created_by__user").get(title=NEW_TASK)
    assert task.status == TaskStatus.DONE
    assert task.created_by is not None
    assert task.created_by.user.email == ALICE.email
