"""How invitations read to people: words for the admin's pages and the services'
messages."""

from __future__ import annotations

import datetime as dt
import math

from django.utils.translation import ngettext


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
