"""The browser harness: Playwright (sync API) driving Debian's Chromium against a live server.

Every test under tests/e2e/ is marked `e2e` (run only these: `pytest -m e2e`,
or skip them: `pytest -m "not e2e"`). Chromium comes from the Debian package
(`scripts/ensure-test-packages`, run by `make test`), never from
`playwright install`. Without it the tests skip, loudly; with
PORTAIL_REQUIRE_BROWSER=1 (as `.ci/run` sets) they fail instead.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM (fixtures,
# assertions on the database) then believes it is in async code and refuses.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("PORTAIL_CHROMIUM", "/usr/bin/chromium"))
REQUIRE_BROWSER = os.environ.get("PORTAIL_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MISSING = (
    f"Chromium not found at {CHROMIUM}: the browser tests did not run. "
    "Install Debian's chromium and chromium-driver (make test does, as root), "
    "or set PORTAIL_CHROMIUM to a Chromium binary."
)
E2E_DIR = Path(__file__).resolve().parent


def chromium_available() -> bool:
    return CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch Debian's Chromium, or skip (fail, when the browser is required)."""
    if not chromium_available():
        if REQUIRE_BROWSER:
            pytest.fail(f"PORTAIL_REQUIRE_BROWSER=1 but {MISSING}", pytrace=False)
        pytest.skip(MISSING)
    headed = browser_type_launch_args.get("headless") is False  # pytest --headed
    args = [a for a in CHROMIUM_ARGS if not (headed and a == "--headless")]
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": args}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "locale": "en-GB", "viewport": {"width": 1280, "height": 900}}


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    e2e_skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if report.nodeid.startswith("tests/e2e/") and not chromium_available()
    ]
    if e2e_skipped:
        terminalreporter.write_sep("!", "BROWSER TESTS SKIPPED", red=True, bold=True)
        terminalreporter.write_line(f"{len(e2e_skipped)} browser test(s) skipped. {MISSING}")
