"""Production mode: `check --deploy` is clean, and missing settings stop the start.

Each case runs manage.py in a child process, since settings are read once per
process.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "portail.example.com",
    "EMAIL_URL": "smtp+tls://portail:password@smtp.example.com:587",
    "PORTAIL_BASE_URL": "https://portail.example.com",
}


# Set for the browser tests (tests/e2e/conftest.py); a production process never has it.
NOT_INHERITED = {*PRODUCTION, "DJANGO_ALLOW_ASYNC_UNSAFE"}


def manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    base["PORTAIL_VAR_DIR"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_passes_in_production_mode(tmp_path: Path) -> None:
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("SECRET_KEY", "SECRET_KEY must be set when DEBUG is false."),
        ("ALLOWED_HOSTS", "ALLOWED_HOSTS must be set when DEBUG is false."),
        ("EMAIL_URL", "EMAIL_URL must be set when DEBUG is false"),
        ("PORTAIL_BASE_URL", "PORTAIL_BASE_URL must be set when DEBUG is false"),
    ],
)
def test_production_mode_refuses_to_start_without(
    tmp_path: Path, missing: str, message: str
) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != missing}

    result = manage(tmp_path, "check", **env)

    assert result.returncode != 0
    assert f"ImproperlyConfigured: {message}" in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_sqlite_database_runs_in_wal_mode(tmp_path: Path) -> None:
    """WAL lets the web server read while the worker writes (the SQLite default)."""
    probe = (
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('PRAGMA journal_mode'); print('journal_mode=' + c.fetchone()[0])"
    )
    result = manage(
        tmp_path, "shell", "-c", probe, DATABASE_URL=f"sqlite:///{tmp_path / 'wal.sqlite3'}"
    )
    assert result.returncode == 0, result.stderr
    assert "journal_mode=wal" in result.stdout


def test_a_base_url_with_a_path_is_refused(tmp_path: Path) -> None:
    result = manage(tmp_path, "check", **{**PRODUCTION, "PORTAIL_BASE_URL": "portail.example.com"})
    assert result.returncode != 0
    assert "PORTAIL_BASE_URL must be a scheme and host only" in result.stderr


# Security headers in production (OWASP ASVS 5.0 V3) ------------------------------------

# Run in a production process: builds its database in memory, signs a person in over
# https and prints the headers and cookies of the sign-in page and of the page after it.
HEADERS_PROBE = """
import json
from django.core.management import call_command
from django.test import Client
from portail.accounts.models import User

call_command("migrate", verbosity=0)
call_command("collectstatic", "--noinput", verbosity=0)
User.objects.create_user("ada@example.com", "correct horse battery staple")
browser = Client(HTTP_HOST="portail.example.com", HTTP_X_FORWARDED_PROTO="https")
signin = browser.get("/accounts/signin/", secure=True)
signed_in = browser.post(
    "/accounts/signin/",
    {"username": "ada@example.com", "password": "correct horse battery staple"},
    secure=True,
)
home = browser.get(signed_in["Location"], secure=True, follow=True)
cookies = {**signin.cookies, **signed_in.cookies}
print("PROBE" + json.dumps({
    "statuses": [signin.status_code, signed_in.status_code, home.status_code],
    "pages": [dict(signin.headers), dict(home.headers)],
    "cookies": {
        name: {key: morsel[key] for key in ("secure", "httponly", "samesite", "path", "domain")}
        for name, morsel in cookies.items()
    },
}))
"""

CSP = {
    "default-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def probe_headers(tmp_path: Path, **env: str) -> dict[str, Any]:
    result = manage(
        tmp_path,
        "shell",
        "-c",
        HEADERS_PROBE,
        **PRODUCTION,
        DATABASE_URL="sqlite://:memory:",
        STATIC_ROOT=str(tmp_path / "static"),
        **env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("PROBE")]
    probe: dict[str, Any] = json.loads(line.removeprefix("PROBE"))
    assert probe["statuses"] == [200, 302, 200], probe
    return probe


@pytest.fixture(scope="module")
def production_headers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return probe_headers(tmp_path_factory.mktemp("headers"))


def test_v3_every_page_has_a_strict_content_security_policy(
    production_headers: dict[str, Any],
) -> None:
    for headers in production_headers["pages"]:
        policy = headers["Content-Security-Policy"]
        directives = dict(directive.split(" ", 1) for directive in policy.split("; "))
        assert directives == CSP
        assert "unsafe-inline" not in policy
        assert "unsafe-eval" not in policy


def test_v3_every_page_denies_unused_browser_features_framing_and_sniffing(
    production_headers: dict[str, Any],
) -> None:
    for headers in production_headers["pages"]:
        denied = dict(item.split("=") for item in headers["Permissions-Policy"].split(", "))
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert denied[feature] == "()"
        assert set(denied.values()) == {"()"}
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_v3_hsts_is_on_without_preload_by_default(production_headers: dict[str, Any]) -> None:
    for headers in production_headers["pages"]:
        assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_v3_hsts_preload_is_opt_in(tmp_path: Path) -> None:
    probe = probe_headers(tmp_path, SECURE_HSTS_PRELOAD="true")
    for headers in probe["pages"]:
        assert headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )


def test_v3_cookies_are_host_only_secure_and_same_site(
    production_headers: dict[str, Any],
) -> None:
    cookies = production_headers["cookies"]
    assert set(cookies) == {"__Host-sessionid", "__Host-csrftoken"}
    for cookie in cookies.values():
        # __Host-: the browser refuses the cookie unless Secure, Path=/ and no Domain.
        assert (cookie["secure"], cookie["path"], cookie["domain"]) == (True, "/", "")
        assert cookie["samesite"] == "Lax"
    assert cookies["__Host-sessionid"]["httponly"] is True
