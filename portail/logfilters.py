"""Logging filters and formatters named in settings.LOGGING.

The console writes one of two formats (LOG_FORMAT): `text`, a line per record that
starts with the UTC time, level and logger; or `json`, a JSON object per line, for
log collectors. Both format records after the handler's filters ran, so token
redaction (accounts/tokens.py RedactTokens) and ClientErrorsOneLine apply to both.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

# ISO 8601, UTC: 2026-11-30T18:40:01Z.
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def _utc(seconds: float | None) -> time.struct_time:
    return time.gmtime(seconds)


class TextFormatter(logging.Formatter):
    """`2026-11-30T18:40:01Z WARNING django.request Not Found: /x`, in UTC.

    The record's message is the line; a traceback (a 500) follows on the next lines.
    """

    def __init__(self) -> None:
        super().__init__(fmt="%(asctime)s %(levelname)s %(name)s %(message)s", datefmt=TIME_FORMAT)
        self.converter = _utc


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: time (UTC, with milliseconds), level,
    logger, message; `status` for a request Django logs; `exc` (the traceback, as text)
    and `stack` when the record has them. Newlines inside are escaped by JSON, so a
    record is always exactly one line."""

    def __init__(self) -> None:
        super().__init__()
        self.converter = _utc

    def format(self, record: logging.LogRecord) -> str:
        seconds = self.formatTime(record, "%Y-%m-%dT%H:%M:%S")
        entry: dict[str, Any] = {
            "time": f"{seconds}.{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        status = getattr(record, "status_code", None)
        if isinstance(status, int):
            entry["status"] = status
        # RedactTokens (a handler filter) already rendered and redacted exc_text.
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


class ClientErrorsOneLine(logging.Filter):
    """A 4xx logged by Django (django.request, django.security.*) is one line, no traceback.

    Django logs a refused request ("Forbidden (Permission denied): /p/acme/…") with the
    exception that caused it, so every expected 403 wrote a traceback. The status and
    path say all there is to say about a refusal; tracebacks stay for 5xx, where they are
    needed. The record is changed in place, so every handler after this filter (and the
    other handlers of the same record) sees it without the traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        from_django = record.name == "django.request" or record.name.startswith("django.security")
        if from_django and isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
