"""Logging filters named in settings.LOGGING."""

from __future__ import annotations

import logging


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
