"""In a real browser (RULES CU1, CU2, CU3, CU4): an admin adds a client user with a new
company; the person opens the invitation link from the email in their own browser, sets a
password and lands on their projects; inviting them again inside 24 hours is refused."""

from __future__ import annotations

import re

from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from portail.demo.management.commands.load_demo import ALICE, DEMO_PASSWORD
from portail.notifications.models import OutboundEmail
from portail.portals.models import Membership, MembershipStatus
from tests.e2e.test_projects import sign_in
from tests.outbox import deliver_email

NEWCOMER = "nora@lumiere-hotels.test"
LINK = re.compile(r"(/invitations/[^/\s]+/)")


def test_cu2_admin_invites_a_client_user_who_sets_a_password_and_lands_on_projects(
    live_server: LiveServer, page: Page, browser: Browser
) -> None:
    call_command("load_demo", "--allow-production", verbosity=0)
    broken: list[str] = []
    page.on("response", lambda r: broken.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    # The admin adds Nora, of a company that does not exist yet, to the spring catalogue.
    sign_in(page, live_server.url, ALICE.email, DEMO_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Client users").click()
    page.get_by_role("link", name="Add client user").first.click()
    page.get_by_label("Email address").fill(NEWCOMER)
    page.get_by_label("or a new company").fill("Lumière Hotels")
    page.get_by_label("Spring catalogue").check()
    page.get_by_role("button", name="Add and invite").click()
    expect(page.get_by_role("status")).to_contain_text(f"{NEWCOMER} is invited")
    group = page.locator("section.company-group", has_text="Lumière Hotels")
    expect(group.get_by_role("row", name=re.compile(NEWCOMER))).to_contain_text("pending")

    # CU3: inviting her again at once is refused, with the time left.
    group.get_by_role("button", name=f"Re-invite {NEWCOMER}").click()
    expect(page.get_by_role("alert").or_(page.get_by_role("status"))).to_contain_text("again in")

    # CU2/CU4: the email's link, opened in a fresh browser (no session), lets her join.
    # The outbox row holds no link; the worker makes it when it sends the email.
    email = OutboundEmail.objects.get(to=NEWCOMER)
    assert LINK.search(email.body_text) is None, email.body_text
    message = deliver_email(email)
    found = LINK.search(str(message.body))
    assert found is not None, message.body
    invitee = browser.new_context(locale="en-GB")
    try:
        her = invitee.new_page()
        her.goto(live_server.url + found.group(1))
        expect(her.get_by_role("heading", level=1)).to_contain_text("Join Studio Demo")
        assert Membership.objects.get(user__email=NEWCOMER).status == MembershipStatus.INVITED
        her.get_by_label("Your name").fill("Nora Lumière")
        her.get_by_label("Password", exact=True).fill("a long new password 42")
        her.get_by_label("Password again").fill("a long new password 42")
        her.get_by_role("button", name="Create my account and join").click()
        expect(her).to_have_url(re.compile(r"/p/demo/projects/$"))
        expect(her.get_by_role("table")).to_contain_text("Spring catalogue")
        expect(her.get_by_role("table")).not_to_contain_text("Brand refresh")

        # The link works once.
        her.goto(live_server.url + found.group(1))
        expect(her.get_by_role("heading", level=1)).to_contain_text("already been used")
    finally:
        invitee.close()
    assert Membership.objects.get(user__email=NEWCOMER).status == MembershipStatus.ACTIVE
    assert broken == []
