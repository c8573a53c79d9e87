"""The portal's security settings and the unlocking of a person locked out of sign-in,
as portal admins change them, audited.

Here rather than in `portals`: the portal is a lower layer than `audit`, and the pages
that make these changes are permission-guarded ones (`portal.manage_security`,
`portal.unlock_signin`).
"""

from __future__ import annotations

from django.db import transaction

from portail.access.events import MEMBER_SIGNIN_UNLOCKED, PORTAL_SECURITY_UPDATED
from portail.accounts.lockout import signin_failures_clear
from portail.accounts.models import User
from portail.audit.services import audit_log
from portail.portals.models import Membership, Portal


@transaction.atomic
def portal_security_update(
    *, portal: Portal, actor: User | None, require_staff_two_factor: bool
) -> Portal:
    """Require (or stop requiring) two-factor sign-in of the portal's staff, audited."""
    portal = Portal.objects.select_for_update().get(pk=portal.pk)
    if portal.require_staff_two_factor == require_staff_two_factor:
        return portal
    portal.require_staff_two_factor = require_staff_two_factor
    portal.save(update_fields=["require_staff_two_factor"])
    audit_log(
        portal=portal,
        actor=actor,
        action=PORTAL_SECURITY_UPDATED,
        target=portal,
        before={"require_staff_two_factor": not require_staff_two_factor},
        after={"require_staff_two_factor": require_staff_two_factor},
    )
    return portal


# Sign-in lock-out, as portal admins see it (the policy: portail.accounts.lockout).


@transaction.atomic
def membership_signin_unlock(*, membership: Membership, actor: User | None) -> int:
    """Let a member of the portal sign in again at once: forget their sign-in failures
    (from every address); how many there were. Recorded in the portal's audit log
    when there was something to forget."""
    failures = signin_failures_clear(username=membership.user.email)
    if not failures:
        return 0
    audit_log(
        portal=membership.portal,
        actor=actor,
        action=MEMBER_SIGNIN_UNLOCKED,
        target=membership,
        before={"signin_failures": failures},
    )
    return failures
