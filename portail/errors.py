"""Error pages in the site's layout and the reader's language (400, 403, 404, 405, 410, 429, 500).

Django calls `bad_request`, `permission_denied`, `page_not_found` and `server_error`
through the `handler400`…`handler500` names in `portail/urls.py`, and `csrf_failure`
through `CSRF_FAILURE_VIEW`. `ErrorPageMiddleware` gives the empty 405 answers of
`require_http_methods` their page. `gone` answers 410 for something that existed and
is no more. The lock-out (429) page is django-axes' `AXES_LOCKOUT_TEMPLATE`, which
extends `429.html`.

The 4xx pages extend `base.html`: they run the context processors, so they read the
database (the signed-in person, their portals). The 500 page cannot count on that:
the fault may be the database itself. It is rendered without a request (no context
processors, no database), from a template that uses `{% translate %}` and plain
variables only, and falls back to a fixed text if even that fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.views.decorators.csrf import requires_csrf_token

logger = logging.getLogger(__name__)

# What the 500 page says when even its template cannot be rendered.
_LAST_RESORT_500 = (
    "<!doctype html><title>Server error</title>"
    "<h1>Something went wrong on our side</h1>"
    "<p>It has been recorded. Please try again in a few minutes.</p>"
    '<p><a href="/">Home</a></p>'
)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "400.html", status=400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # The exception's text is never shown: it can name what was looked up.
    return render(request, "404.html", status=404)


@requires_csrf_token
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused by the CSRF check: most often a form left open too long, or cookies
    blocked. `reason` is for the log (django.security.csrf writes it), not for the page."""
    return render(request, "403.html", {"csrf_failure": True}, status=403)


def gone(request: HttpRequest) -> HttpResponse:
    """410: what the address pointed to existed and has been removed for good."""
    return render(request, "410.html", status=410)


def _language(request: HttpRequest | None) -> str:
    """The language LocaleMiddleware (or the person's preference) chose, else the site's."""
    code = getattr(request, "LANGUAGE_CODE", None)
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def server_error(request: HttpRequest | None = None) -> HttpResponse:
    """500, with no database and no context processors: only the request's language."""
    try:
        stylesheet = static("portail/portail.css")
    except Exception:  # a static manifest without the file: the page goes unstyled
        stylesheet = ""
    try:
        with translation.override(_language(request)):
            page = loader.get_template("500.html").render(
                {
                    "LANGUAGE_CODE": translation.get_language(),
                    "home_url": reverse("home"),
                    "stylesheet_url": stylesheet,
                }
            )
    except Exception:  # the page of last resort must not fail in turn
        logger.exception("The 500 page could not be rendered; answered the plain text instead.")
        page = _LAST_RESORT_500
    return HttpResponseServerError(page)


class ErrorPageMiddleware:
    """Give the bodiless 405 answers of `require_http_methods` the 405 page.

    The `Allow` header (and every other header) of the original answer is kept; a 405
    that already has a body (an API's problem details, say) is left alone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.streaming or response.content:
            return response
        page = render(request, "405.html", status=405)
        for header, value in response.items():
            if header.lower() not in ("content-type", "content-length"):
                page[header] = value
        return page
