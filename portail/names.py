"""Naming many people in one sentence (a flash message after a bulk action): the first few
by name, then how many others, so that adding 1,000 people does not print 1,000 names."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import formats
from django.utils.translation import ngettext

# How many names a message lists before "and N others".
NAMED = 5


def some_names(names: Sequence[str], most: int = NAMED) -> str:
    """ "Ann, Bob" for a few; "Ann, Bob, Cy, Di, Ed and 995 others" past `most`."""
    if len(names) <= most:
        return ", ".join(names)
    rest = len(names) - most
    return ngettext(
        "%(names)s and %(count)s other",
        "%(names)s and %(count)s others",
        rest,
    ) % {
        "names": ", ".join(names[:most]),
        "count": formats.number_format(rest, force_grouping=True),
    }
