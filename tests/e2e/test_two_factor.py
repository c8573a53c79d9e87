"""In a real browser: the demo admin turns on two-factor sign-in from the QR code page's
typed key, keeps the recovery codes, signs out, signs in again with a code from the
"app", and then requires two-factor sign-in of the portal's staff."""

from __future__ import annotations

import re
import time
from base64 import b32decode

from django.core.management import call_command
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from portail.demo.management.commands.load_demo import ALICE, DEMO_PASSWORD
from portail.portals.models import Portal
from tests.e2e.test_projects import sign_in


def app_code(typed_key: str, steps_ahead: int = 0) -> str:
    """What an authenticator app given `typed_key` shows now (or `steps_ahead` x 30 s later)."""
    totp = TOTP(b32decode(typed_key.replace(" ", "")))
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def test_admin_turns_on_two_factor_signs_in_with_a_code_and_requires_it_of_staff(
    live_server: LiveServer, page: Page
) -> None:
    call_command("load_demo", "--allow-production", verbosity=0)
    broken: list[str] = []
    page.on("response", lambda r: broken.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    sign_in(page, live_server.url, ALICE.email, DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/p/demo/projects/$"))
    page.locator("details.menu summary").click()
    page.get_by_role("link", name="Two-factor sign-in").click()
    page.get_by_role("link", name="Turn on two-factor sign-in").click()

    # The QR code is drawn inline; the same key is written out for typing.
    expect(page.locator(".qr-code svg")).to_be_visible()
    typed_key = page.locator("code.secret-key").inner_text()
    wrong = f"{(int(app_code(typed_key)) + 500_000) % 1_000_000:06d}"
    page.get_by_label("Code from your app").fill(wrong)
    page.get_by_role("button", name="Turn on", exact=True).click()
    expect(page.get_by_text("That code is not right")).to_be_visible()
    page.get_by_label("Code from your app").fill(app_code(typed_key))
    page.get_by_role("button", name="Turn on", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in is on.")
    expect(page.locator(".recovery-codes li")).to_have_count(10)

    # Signing in again now takes a code after the password.
    page.locator("details.menu summary").click()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server.url, ALICE.email, DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/signin/code/$"))
    page.get_by_label("Code").fill(app_code(typed_key, steps_ahead=1))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/p/demo/projects/$"))

    # Signed in with a code, the admin may require it of the portal's staff.
    page.locator("details.menu summary").click()
    page.locator(".menu-body").get_by_role("link", name="Security").click()
    page.get_by_label("Require two-factor sign-in for staff").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("The security settings have been saved.")
    assert Portal.objects.get(slug="demo").require_staff_two_factor
    assert broken == []
