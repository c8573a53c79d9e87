"""A portal admin's page of the portal's people locked out of sign-in, with an unlock
button each (the lock-out policy: portail.accounts.lockout.LockoutHandler)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from portail.access.lockout_selectors import unlockable_member
from portail.access.permissions import UNLOCK_SIGNIN
from portail.access.security import membership_signin_unlock
from portail.portals import selectors
from portail.portals.decorators import PortalRequest
from portail.portals.roles import portal_permission


@portal_permission(UNLOCK_SIGNIN)
@require_safe
def people(request: PortalRequest) -> HttpResponse:
    return render(
        request,
        "accounts/locked_out_people.html",
        {"members": selectors.locked_out_members(portal=request.portal)},
    )


@portal_permission(UNLOCK_SIGNIN)
@require_POST
def unlock(request: PortalRequest, membership_id: int) -> HttpResponse:
    """Only a person of this portal (not removed): anyone else is 404."""
    membership = unlockable_member(portal=request.portal, membership_id=membership_id)
    if membership is None:
        raise Http404
    failures = membership_signin_unlock(membership=membership, actor=request.membership.user)
    person = membership.user.display_name
    if failures:
        messages.success(request, _("%(person)s can sign in again.") % {"person": person})
    else:
        messages.info(request, _("%(person)s was not locked out.") % {"person": person})
    return redirect("lockout:people", portal_slug=request.portal.slug)
