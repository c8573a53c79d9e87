"""Client users' hourly rates (RULES CU9), as the portal-level pages (client_users.py) and
the project's tab (project_clients.py) both check them."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from portail.portals.models import Portal
from portail.projects.models import RATE_DECIMALS, RATE_DIGITS, BillingMethod, Project


def check_rate(value: Decimal | None, field: str = "hourly_rate") -> Decimal | None:
    """A rate is empty, or a non-negative amount that fits the stored precision."""
    if value is None:
        return None
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValidationError({field: _("Enter an amount such as 85 or 85.50.")})
    if value < 0:
        raise ValidationError({field: _("A rate cannot be negative.")})
    if value != value.quantize(Decimal(1).scaleb(-RATE_DECIMALS)) or value >= Decimal(10) ** (
        RATE_DIGITS - RATE_DECIMALS
    ):
        raise ValidationError(
            {
                field: _("Enter at most %(whole)s digits before the point and %(dec)s after it.")
                % {"whole": RATE_DIGITS - RATE_DECIMALS, "dec": RATE_DECIMALS}
            }
        )
    return value


def no_project_rate(portal: Portal, project: Project) -> str | None:
    """CU9: why members of `project` can have no rate of their own there (the portal does
    not invoice, or the project does not bill staff hours, BI1), or None when they can.
    `selectors.project_rates_apply`, which the pages ask, says the same."""
    if not portal.invoicing_enabled:
        return _("This portal does not invoice: client users have no hourly rate.")
    if project.billing_method != BillingMethod.STAFF_HOURS:
        return _("“%(name)s” does not bill staff hours: its members have no rate of their own.") % {
            "name": project.name
        }
    return None


def rate_text(rate: Decimal | None) -> str | None:
    """A rate as the audit log stores it."""
    return None if rate is None else str(rate)
