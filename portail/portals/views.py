from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from portail.portals.decorators import portal_member
from portail.portals.selectors import memberships_for_user


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """After sign-in: straight into the only portal, or the last one used, else pick one."""
    memberships = list(memberships_for_user(user=request.user))  # type: ignore[arg-type]
    slugs = [m.portal.slug for m in memberships]
    last = request.session.get("last_portal")
    if len(slugs) == 1:
        return redirect("portals:dashboard", portal_slug=slugs[0])
    if last in slugs:
        return redirect("portals:dashboard", portal_slug=last)
    return redirect("portal-picker")


@login_required
@require_safe
def portal_picker(request: HttpRequest) -> HttpResponse:
    memberships = list(memberships_for_user(user=request.user))  # type: ignore[arg-type]
    return render(request, "portals/picker.html", {"memberships": memberships})


@portal_member
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    """A portal's front page is its project list, for staff and clients alike."""
    slug = request.portal.slug  # type: ignore[attr-defined]
    return redirect(reverse("projects:list", kwargs={"portal_slug": slug}))
