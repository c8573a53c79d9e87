"""The product's URLs plus /__bench__/floor/, the benchmark's floor (bench-only)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_GET


@require_GET
@login_required
def floor(request: HttpRequest) -> HttpResponse:
    """A constant page behind the whole middleware stack and a signed-in session: what
    every page pays before its own work (the session and the person are read)."""
    return HttpResponse(b"floor\n", content_type="text/plain")


urlpatterns = [
    path("__bench__/floor/", floor, name="bench-floor"),
    path("", include("portail.urls")),
]

# The product's error pages, as under portail.urls.
handler400 = "portail.errors.bad_request"
handler403 = "portail.errors.permission_denied"
handler404 = "portail.errors.page_not_found"
handler500 = "portail.errors.server_error"
