"""How invitations read to people: words for the admin's pages and the services'
messages, and the badge of an invitation state in the lists of client users."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.timesince import timesince
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portail.clients.invitation_selectors import InvitationState


def duration_text(delta: dt.timedelta) -> str:
    """ "3 hours 12 minutes": a wait, rounded up to the minute."""
    minutes = max(1, math.ceil(delta.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours})
    if minutes:
        parts.append(
            ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
        )
    return " ".join(parts)


@dataclass(frozen=True)
class InvitationBadge:
    """A client user's invitation state (CU10) as the lists show it: a badge (`state`
    names its CSS class and `label` its words) and a muted detail. `state` "none" is a
    dash. Worked out in Python: an `{% include %}` per row of a long list costs more than
    the rest of the row."""

    state: str
    label: str = ""
    detail: str = ""


def invitation_badge(state: InvitationState | None) -> InvitationBadge:
    """The badge of one invitation state, in the active language."""
    if state is None or state.state == "none":
        return InvitationBadge("none")
    if state.state == "pending":
        return InvitationBadge(
            "pending",
            _("pending"),
            _("sent %(when)s ago") % {"when": timesince(state.sent_at)} if state.sent_at else "",
        )
    if state.state == "expired":
        return InvitationBadge(
            "expired",
            _("expired"),
            _("sent %(when)s") % {"when": _short_date(state.sent_at)} if state.sent_at else "",
        )
    if state.state == "accepted":
        return InvitationBadge("accepted", _("accepted"), _short_date(state.accepted_at))
    return InvitationBadge("revoked", _("revoked"))


def _short_date(moment: dt.datetime | None) -> str:
    """The date as the `date:"SHORT_DATE_FORMAT"` filter shows it (in the current time zone)."""
    if moment is None:
        return ""
    return date_format(localtime(moment), "SHORT_DATE_FORMAT")
