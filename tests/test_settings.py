"""Production mode: `check --deploy` is clean, and missing settings stop the start.

Each case runs manage.py in a child process, since settings are read once per
process.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

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
