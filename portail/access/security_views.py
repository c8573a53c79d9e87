"""The portal's security settings page, for portal admins: whether staff must use
two-factor sign-in (the check itself is in `portail.portals.middleware`)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from portail.access.forms import PortalSecurityForm
from portail.access.permissions import MANAGE_SECURITY
from portail.access.security import portal_security_update
from portail.accounts.twofactor import session_verified, two_factor_enabled
from portail.portals.decorators import PortalRequest
from portail.portals.roles import portal_permission
from portail.web import get_or_post, posted


@portal_permission(MANAGE_SECURITY)
@get_or_post
def security(request: PortalRequest) -> HttpResponse:
    portal = request.portal
    form = PortalSecurityForm(
        posted(request), initial={"require_staff_two_factor": portal.require_staff_two_factor}
    )
    if request.method == "POST" and form.is_valid():
        required = form.cleaned_data["require_staff_two_factor"]
        if required and not session_verified(request):
            # Else the admin's next page would send them to set it up: say so first.
            form.add_error(
                "require_staff_two_factor",
                _(
                    "Sign in with two-factor sign-in yourself first: turn it on in your "
                    "account, or confirm this session with a code."
                ),
            )
        else:
            portal_security_update(
                portal=portal, actor=request.membership.user, require_staff_two_factor=required
            )
            messages.success(request, _("The security settings have been saved."))
            return redirect("portal-settings:security", portal_slug=portal.slug)
    return render(
        request,
        "access/portal_security.html",
        {
            "form": form,
            "my_two_factor": two_factor_enabled(user=request.membership.user),
        },
    )
