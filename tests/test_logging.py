"""The log (issue 10): an expected refusal (403, 404, any 4xx) is one line, written once;
a 500 keeps its traceback. (Issue 11) every console line starts with the UTC time, level
and logger, or is one JSON object with LOG_FORMAT=json."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from portail.accounts.tokens import RedactTokens, new_token
from portail.logfilters import ClientErrorsOneLine, JsonFormatter
from tests.conftest import World
from tests.test_settings import manage

# What starts every line of the text format: 2026-11-30T18:40:01Z.
STAMP = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"


def _console() -> logging.StreamHandler[io.StringIO]:
    """The console handler settings.LOGGING puts on the root logger."""
    for handler in logging.getLogger().handlers:
        if any(isinstance(f, ClientErrorsOneLine) for f in handler.filters):
            assert isinstance(handler, logging.StreamHandler)
            return handler
    raise AssertionError("settings.LOGGING has no console handler with ClientErrorsOneLine")


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    """What the console handler writes during the test."""
    handler = _console()
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


def _django_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("django")]


def test_a_refused_action_is_one_record_without_a_traceback(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = world.client_for(world.employee).get(reverse("audit:events", args=["acme"]))

    assert response.status_code == 403
    [record] = _django_records(caplog)
    assert record.name == "django.request"
    assert record.getMessage() == "Forbidden (Permission denied): /p/acme/audit/"
    assert record.exc_info is None


def _writers(record: logging.LogRecord) -> list[logging.Handler]:
    """The handlers of the settings that would write `record` (pytest's own left out)."""
    writers = []
    logger: logging.Logger | None = logging.getLogger(record.name)
    while logger is not None:
        for handler in logger.handlers:
            if type(handler).__module__.startswith("_pytest"):
                continue
            if record.levelno >= handler.level and handler.filter(record):
                writers.append(handler)
        logger = logger.parent if logger.propagate else None
    return writers


def test_a_refused_action_is_written_once_even_in_development(
    world: World, settings: Settings, console: io.StringIO
) -> None:
    # Django's default logging gives the "django" logger a console handler of its own
    # that writes when DEBUG is on: with the root's, every line came out twice.
    settings.DEBUG = True
    response = world.client_for(world.employee).get(reverse("audit:events", args=["acme"]))
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Forbidden (Permission denied)", None, None
    )
    record.status_code = 403

    assert response.status_code == 403
    assert _writers(record) == [_console()]
    assert re.fullmatch(
        rf"{STAMP} WARNING django.request Forbidden \(Permission denied\): /p/acme/audit/\n",
        console.getvalue(),
    )


def test_a_missing_page_is_one_line_in_the_console(
    world: World, settings: Settings, console: io.StringIO
) -> None:
    settings.DEBUG = False
    path = reverse("projects:detail", args=["acme", world.other_project.pk])
    response = world.client_for(world.employee).get(path)

    assert response.status_code == 404
    assert re.fullmatch(rf"{STAMP} WARNING django.request Not Found: {path}\n", console.getvalue())


def test_a_request_for_an_unknown_host_is_one_line_in_the_console(
    client: Client, db: None, settings: Settings, console: io.StringIO
) -> None:
    settings.DEBUG = False
    response = client.get("/", HTTP_HOST="attacker.example")

    assert response.status_code == 400
    lines = console.getvalue().splitlines()
    assert len(lines) == 1
    assert "Invalid HTTP_HOST header: 'attacker.example'" in lines[0]


def test_a_server_error_keeps_its_traceback(
    client: Client,
    db: None,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    console: io.StringIO,
) -> None:
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.test_error_pages"
    client.raise_request_exception = False
    response = client.get("/test-errors/boom/")

    assert response.status_code == 500
    [record] = _django_records(caplog)
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
    written = console.getvalue()
    assert re.match(
        rf"{STAMP} ERROR django.request Internal Server Error: /test-errors/boom/\nTraceback",
        written,
    )
    assert written.count("Internal Server Error") == 1
    assert "RuntimeError: a bug in a view" in written


def test_the_filter_keeps_tracebacks_of_other_loggers() -> None:
    try:
        raise ValueError("unrelated")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("portail.x", logging.WARNING, __file__, 1, "x", None, exc_info)
    record.status_code = 404

    assert ClientErrorsOneLine().filter(record) is True
    assert record.exc_info is exc_info


# Timestamps and LOG_FORMAT (issue 11) ------------------------------------------------------


def test_a_text_line_starts_with_the_utc_time_the_level_and_the_logger(
    console: io.StringIO,
) -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    logging.getLogger("portail.example").warning("Sent %d emails", 3)
    after = dt.datetime.now(dt.UTC)

    line = console.getvalue()
    match = re.fullmatch(rf"({STAMP}) WARNING portail.example Sent 3 emails\n", line)
    assert match, line
    logged_at = dt.datetime.strptime(match[1], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    assert before <= logged_at <= after


def _record(message: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, message, args or None, exc_info
    )


def test_with_the_json_format_a_record_is_one_line_of_json_with_its_fields() -> None:
    before = dt.datetime.now(dt.UTC)
    record = _record("Café fermé: %s", "/p/acme/")
    record.status_code = 404

    line = JsonFormatter().format(record)

    assert "\n" not in line
    assert "Café fermé" in line  # not escaped to \u00e9
    entry = json.loads(line)
    assert entry == {
        "time": entry["time"],
        "level": "ERROR",
        "logger": "django.request",
        "message": "Café fermé: /p/acme/",
        "status": 404,
    }
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", entry["time"])
    logged_at = dt.datetime.strptime(entry["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    assert before - dt.timedelta(seconds=1) <= logged_at <= dt.datetime.now(dt.UTC)


def test_with_the_json_format_a_traceback_is_the_exc_field_of_the_same_line() -> None:
    try:
        raise RuntimeError("a bug in a view")
    except RuntimeError as error:
        record = _record("Internal Server Error: /x/", exc=error)

    line = JsonFormatter().format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "Internal Server Error: /x/"
    assert entry["exc"].startswith("Traceback (most recent call last):\n")
    assert entry["exc"].endswith("RuntimeError: a bug in a view")


def test_with_the_json_format_tokens_are_redacted_in_the_message_and_the_traceback() -> None:
    raw, _digest = new_token()
    try:
        raise ValueError(f"bad link /invitations/{raw}/")
    except ValueError as error:
        record = _record("Forbidden: %s", f"/invitations/{raw}/", exc=error)

    assert RedactTokens().filter(record)
    line = JsonFormatter().format(record)

    assert raw not in line
    entry = json.loads(line)
    assert entry["message"] == "Forbidden: /invitations/[redacted]/"
    assert "ValueError: bad link /invitations/[redacted]/" in entry["exc"]


# Run in a child process, since settings (and LOGGING) are read once per process.
LOG_PROBE = """
import logging
log = logging.getLogger("portail.probe")
log.warning("Réunion à %s", "18:40")
try:
    raise ValueError("bad link /invitations/{raw}/")
except ValueError:
    log.exception("Forbidden: /invitations/{raw}/")
"""


def test_log_format_json_makes_every_console_line_a_json_object(tmp_path: Path) -> None:
    raw, _digest = new_token()

    result = manage(tmp_path, "shell", "-c", LOG_PROBE.format(raw=raw), LOG_FORMAT="json")

    assert result.returncode == 0, result.stderr
    assert raw not in result.stderr
    entries = [json.loads(line) for line in result.stderr.splitlines()]
    probe = [e for e in entries if e["logger"] == "portail.probe"]
    assert [(e["level"], e["message"]) for e in probe] == [
        ("WARNING", "Réunion à 18:40"),
        ("ERROR", "Forbidden: /invitations/[redacted]/"),
    ]
    assert "exc" not in probe[0]
    assert "ValueError: bad link /invitations/[redacted]/" in probe[1]["exc"]


def test_the_text_format_is_the_default(tmp_path: Path) -> None:
    result = manage(tmp_path, "shell", "-c", LOG_PROBE.format(raw="x"))

    assert result.returncode == 0, result.stderr
    first = result.stderr.splitlines()[0]
    assert re.fullmatch(rf"{STAMP} WARNING portail.probe Réunion à 18:40", first), first


@pytest.mark.parametrize("value", ["xml", "JSON ", ""])
def test_an_unknown_log_format_refuses_to_start(tmp_path: Path, value: str) -> None:
    result = manage(tmp_path, "check", LOG_FORMAT=value)

    assert result.returncode != 0
    assert f"ImproperlyConfigured: LOG_FORMAT must be text or json, not {value!r}." in result.stderr
