"""The log (issue 10): an expected refusal (403, 404, any 4xx) is one line, written once;
a 500 keeps its traceback."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from portail.logfilters import ClientErrorsOneLine
from tests.conftest import World


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
    assert console.getvalue() == "Forbidden (Permission denied): /p/acme/audit/\n"


def test_a_missing_page_is_one_line_in_the_console(
    world: World, settings: Settings, console: io.StringIO
) -> None:
    settings.DEBUG = False
    path = reverse("projects:detail", args=["acme", world.other_project.pk])
    response = world.client_for(world.employee).get(path)

    assert response.status_code == 404
    assert console.getvalue() == f"Not Found: {path}\n"


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
    assert written.startswith("Internal Server Error: /test-errors/boom/\nTraceback")
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
