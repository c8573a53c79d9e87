"""The portal's audit log page, for its admins: who changed what, and when."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from portail.audit import selectors
from portail.audit.forms import AuditFilterForm
from portail.audit.permissions import VIEW_AUDIT
from portail.audit.presentation import event_rows
from portail.portals.decorators import PortalRequest
from portail.portals.roles import portal_permission
from portail.web import paginate

PAGE_SIZE = 50


@portal_permission(VIEW_AUDIT)
@require_safe
def events(request: PortalRequest) -> HttpResponse:
    choices = selectors.audit_filter_choices(portal=request.portal)
    form = AuditFilterForm(request.GET, choices=choices)
    # Filters that cannot be read list nothing, rather than more than was asked for.
    valid = form.is_valid()
    filtered = valid and any(form.cleaned_data.values())
    page = None
    rows = []
    if valid:
        found = selectors.audit_events(
            portal=request.portal,
            actor_id=form.cleaned_data["actor"],
            action_prefix=form.cleaned_data["action"] or None,
            since=form.cleaned_data["since"],
            until=form.cleaned_data["until"],
        )
        page = paginate(request, found, PAGE_SIZE)
        rows = event_rows(list(page.object_list), portal_slug=request.portal.slug)
    return render(
        request,
        "audit/events.html",
        {"form": form, "page_obj": page, "rows": rows, "filtered": filtered},
    )
