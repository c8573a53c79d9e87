"""The portal's outbox page, for its admins: what was sent, what is waiting, what failed."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from portail.notifications import selectors, services
from portail.notifications.forms import outbox_filter
from portail.notifications.models import EmailStatus
from portail.notifications.permissions import VIEW_OUTBOX
from portail.portals.decorators import PortalRequest
from portail.portals.models import Portal
from portail.portals.roles import portal_permission
from portail.web import paginate

PAGE_SIZE = 50


def _outbox_url(portal: Portal, status: str | None, search: str) -> str:
    url = reverse("notifications:outbox", kwargs={"portal_slug": portal.slug})
    query = urlencode({key: value for key, value in [("status", status), ("q", search)] if value})
    return f"{url}?{query}" if query else url


@portal_permission(VIEW_OUTBOX)
@require_safe
def outbox(request: PortalRequest) -> HttpResponse:
    wanted = outbox_filter(request.GET)
    emails = selectors.outbox_emails(
        portal=request.portal, status=wanted.status, search=wanted.search
    )
    page = paginate(request, emails, PAGE_SIZE)
    counts = selectors.outbox_status_counts(portal=request.portal, search=wanted.search)
    filters = [(None, _("All"), counts["total"])] + [
        (value, label, counts[value]) for value, label in EmailStatus.choices
    ]
    return render(
        request,
        "notifications/outbox.html",
        {
            "page_obj": page,
            "emails": page.object_list,
            "status": wanted.status,
            "search": wanted.search,
            "filter_form": wanted.form,
            "filters": filters,
            "counts": counts,
            "overdue": selectors.overdue_summary(portal=request.portal),
        },
    )


@portal_permission(VIEW_OUTBOX)
@require_POST
def retry(request: PortalRequest, email_id: int) -> HttpResponse:
    email = get_object_or_404(selectors.outbox_emails(portal=request.portal), pk=email_id)
    try:
        services.outbox_retry(email=email)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("The email to %(address)s will be sent again.") % {"address": email.to}
        )
    wanted = outbox_filter(request.POST)
    return redirect(_outbox_url(request.portal, wanted.status, wanted.search))
