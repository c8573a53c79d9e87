"""In a real browser (OWASP ASVS 5.0 V3): the main pages and the htmx tick run under the
Content-Security-Policy without a single violation, and still look and work as before
(progress bars drawn, htmx swapping rows in place)."""

from __future__ import annotations

import re

from django.core.management import call_command
from playwright.sync_api import Browser, ConsoleMessage, Page, expect
from pytest_django.live_server_helper import LiveServer

from portail.accounts.models import User
from portail.demo.management.commands.load_demo import ALICE, DEMO_PASSWORD, PAUL
from tests.conftest import PASSWORD
from tests.e2e.test_projects import sign_in

# Reports each violation Chromium sees, and each eval htmx was refused (allowEval: false).
REPORTER = """
document.addEventListener("securitypolicyviolation", (e) => {
  const what = e.blockedURI || "inline";
  window.portailReport(`${e.violatedDirective} blocked ${what} on ${e.documentURI}`);
});
document.addEventListener("htmx:evalDisallowedError", (e) => {
  window.portailReport(`htmx wanted eval on ${document.location.href}`);
});
"""


class Watch:
    """Everything on a page that says the policy bit, or a page broke."""

    def __init__(self, page: Page) -> None:
        self.problems: list[str] = []
        page.expose_function("portailReport", self._report)
        page.add_init_script(REPORTER)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on(
            "response",
            lambda r: self.problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )

    def _report(self, problem: str) -> None:
        self.problems.append(problem)

    def _console(self, message: ConsoleMessage) -> None:
        text = message.text
        if text.startswith("Failed to load resource"):
            return  # an HTTP error: the responses above name it (only /favicon.ico, unseen there)
        if (
            message.type == "error"
            or "Content Security Policy" in text
            or "Permissions-Policy" in text
        ):
            self.problems.append(f"console: {text}")


def looks_whole(page: Page) -> None:
    """The stylesheet applied (the top bar is laid out) and htmx loaded."""
    expect(page.locator("header.topbar")).to_have_css("display", "flex")
    assert page.evaluate("() => typeof window.htmx") == "object"
    assert page.evaluate("() => window.htmx.config.allowEval") is False


def progress_drawn(page: Page, percent: str) -> None:
    bar = page.locator("#project-progress progress")
    expect(bar).to_have_attribute("value", percent)
    expect(bar).to_have_css("appearance", "none")
    box = bar.bounding_box()
    assert box is not None
    assert box["width"] > 100
    assert box["height"] > 4


def test_v3_staff_pages_and_htmx_run_without_csp_violations(
    live_server: LiveServer, page: Page
) -> None:
    call_command("load_demo", "--allow-production", verbosity=0)  # tests run with DEBUG=False
    watch = Watch(page)

    signin = page.goto(f"{live_server.url}/accounts/signin/")
    assert signin is not None
    assert "'unsafe-inline'" not in signin.headers["content-security-policy"]
    assert "camera=()" in signin.headers["permissions-policy"]
    sign_in(page, live_server.url, ALICE.email, DEMO_PASSWORD)

    # The project list: one drawn bar per project.
    expect(page).to_have_url(re.compile(r"/p/demo/projects/$"))
    looks_whole(page)
    bars = page.get_by_role("table").locator("progress")
    expect(bars).to_have_count(3)
    for bar in bars.all():
        box = bar.bounding_box()
        assert box is not None
        assert box["width"] > 100
    expect(page.get_by_role("row", name=re.compile("Showroom website"))).to_contain_text(
        "9/10 tasks · 90 %"
    )

    # A project page, and its progress moved by an htmx tick (no page load in between).
    page.get_by_role("link", name="Showroom website").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Showroom website")
    looks_whole(page)
    progress_drawn(page, "90")
    page.evaluate("() => { window.notReloaded = true; }")
    page.get_by_role("button", name="Mark “Go live” done").click()
    expect(page.get_by_role("button", name="Reopen “Go live”")).to_be_visible()
    progress_drawn(page, "100")
    expect(page.locator("#project-progress progress")).to_have_class(re.compile("is-complete"))
    assert page.evaluate("() => window.notReloaded") is True

    # The project's users: staff, then client users.
    sections = page.get_by_role("navigation", name="Project sections")
    sections.get_by_role("link", name="Users").click()
    users = page.get_by_role("navigation", name="Project users")
    expect(users).to_be_visible()
    looks_whole(page)
    users.get_by_role("link", name="Client users").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Showroom website")
    looks_whole(page)
    sections.get_by_role("link", name="Overview").click()
    page.get_by_role("link", name="Edit project").click()
    expect(page.get_by_label("Name")).to_be_visible()
    looks_whole(page)

    # Every section of the main menu, and the personal pages.
    for name in ("Client users", "Client companies", "Client profiles", "Outbox", "Audit log"):
        page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        looks_whole(page)
    for name in ("Preferences", "Change password"):
        page.locator("details.menu summary").click()
        page.get_by_role("link", name=name).click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        looks_whole(page)

    assert watch.problems == []


def test_v3_the_clients_pages_run_without_csp_violations(
    live_server: LiveServer, browser: Browser
) -> None:
    call_command("load_demo", "--allow-production", verbosity=0)
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        watch = Watch(page)
        sign_in(page, live_server.url, PAUL.email, DEMO_PASSWORD)
        expect(page).to_have_url(re.compile(r"/p/demo/projects/$"))
        looks_whole(page)
        expect(page.get_by_role("table").locator("progress").first).to_be_visible()

        page.get_by_role("link", name="Showroom website").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Showroom website")
        looks_whole(page)
        bar = page.locator("#project-progress progress")
        expect(bar).to_be_visible()
        before = bar.get_attribute("aria-valuetext")

        # His own task, ticked through htmx: the bar moves in place.
        page.get_by_role("link", name="Add task").click()
        page.get_by_label("Title").fill("Send the fabric samples")
        page.get_by_role("button", name="Add task").click()
        expect(page.get_by_role("status")).to_contain_text("Task added.")
        page.evaluate("() => { window.notReloaded = true; }")
        page.get_by_role("button", name="Mark “Send the fabric samples” done").click()
        expect(page.get_by_role("button", name="Reopen “Send the fabric samples”")).to_be_visible()
        expect(bar).not_to_have_attribute("aria-valuetext", before or "")
        assert page.evaluate("() => window.notReloaded") is True

        assert watch.problems == []
    finally:
        context.close()


def test_v3_an_inline_style_is_blocked_and_seen(live_server: LiveServer, page: Page) -> None:
    """The watch above is not blind: an inline style is refused and reported."""
    watch = Watch(page)
    page.goto(f"{live_server.url}/accounts/signin/")
    page.evaluate(
        """() => {
        const box = document.createElement("div");
        box.setAttribute("style", "width: 123px");
        document.body.append(box);
        window.box = box;
    }"""
    )
    assert page.evaluate("() => window.box.style.width") == ""
    for _ in range(20):  # the report comes back asynchronously
        if any("style-src" in problem for problem in watch.problems):
            break
        page.wait_for_timeout(100)
    assert any("style-src" in problem for problem in watch.problems), watch.problems


def crawl(page: Page, base_url: str, start: str, prefix: str, limit: int) -> list[str]:
    """Open every page under `prefix` linked from `start` (GET links), breadth first."""
    queue, seen = [start], {start}
    while queue and len(seen) <= limit:
        path = queue.pop(0)
        response = page.goto(f"{base_url}{path}")
        assert response is not None
        assert response.ok, f"{response.status} {path}"
        looks_whole(page)
        links = page.eval_on_selector_all(
            "a[href]", "links => links.map(a => a.getAttribute('href'))"
        )
        for href in links:
            target = href.split("#")[0]
            if target.startswith(prefix) and target not in seen:
                seen.add(target)
                queue.append(target)
    return sorted(seen)


def test_v3_every_page_a_staff_admin_reaches_runs_without_csp_violations(
    live_server: LiveServer, page: Page
) -> None:
    call_command("load_demo", "--allow-production", verbosity=0)
    watch = Watch(page)
    sign_in(page, live_server.url, ALICE.email, DEMO_PASSWORD)
    expect(page).to_have_url(re.compile(r"/p/demo/projects/$"))
    seen = crawl(page, live_server.url, "/p/demo/", "/p/demo/", limit=80)
    seen += crawl(page, live_server.url, "/accounts/preferences/", "/accounts/", limit=10)
    # The forms and confirmations too, not only the lists.
    assert any(path.endswith("/edit/") for path in seen), seen
    assert any("/permissions/" in path for path in seen), seen
    assert len(seen) > 30, seen
    assert watch.problems == []


def test_v3_the_site_administration_runs_without_csp_violations(
    live_server: LiveServer, page: Page
) -> None:
    call_command("load_demo", "--allow-production", verbosity=0)
    User.objects.create_superuser("root@studio-demo.test", PASSWORD)
    watch = Watch(page)
    sign_in(page, live_server.url, "root@studio-demo.test", PASSWORD)
    page.goto(f"{live_server.url}/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.get_by_role("link", name="Users").first.click()
    page.get_by_role("link", name=ALICE.email).click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert watch.problems == []


def test_v3_the_pages_before_signing_in_run_without_csp_violations(
    live_server: LiveServer, page: Page
) -> None:
    watch = Watch(page)
    seen = crawl(page, live_server.url, "/accounts/signin/", "/accounts/", limit=10)
    assert "/accounts/password/reset/" in seen, seen
    # An unknown invitation link: a page saying so (404), under the same policy.
    unknown = page.goto(f"{live_server.url}/invitations/no-such-token/")
    assert unknown is not None
    assert unknown.status == 404
    looks_whole(page)
    assert watch.problems == [f"404 {live_server.url}/invitations/no-such-token/"]
