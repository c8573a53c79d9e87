"""SQLite compares case the way PostgreSQL does, in every alphabet.

SQLite's own `lower()`, `upper()` and `LIKE` fold ASCII letters only: "ÉCOLE" and
"école" would be two company names (CC2), and a search for "zoé" would miss "Zoé".
Each new SQLite connection gets Unicode versions of the three; Django's `Lower`,
`iexact` and `icontains` use them unchanged. PostgreSQL needs nothing.

Expression indexes (the case-insensitive unique names) are computed with these
functions, so a database file must be written through Portail, not the sqlite3
shell, whose `lower()` differs; migration clients/0003 rebuilt indexes made before.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


@lru_cache(maxsize=512)
def _like_pattern(pattern: str, escape: str | None) -> re.Pattern[str]:
    """A LIKE pattern as a regular expression: % is any run, _ any one character,
    and the escape character makes the next one literal."""
    parts: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if escape is not None and char == escape:
            parts.append(re.escape(next(chars, "")))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _like(pattern: Any, value: Any, escape: Any = None) -> int | None:
    # SQLite calls like(pattern, value[, escape]) for `value LIKE pattern [ESCAPE e]`.
    if pattern is None or value is None:
        return None
    if escape is not None and (not isinstance(escape, str) or len(escape) != 1):
        raise ValueError("ESCAPE expression must be a single character")
    return int(_like_pattern(str(pattern), escape).fullmatch(str(value)) is not None)


def install(sender: Any, connection: Any, **kwargs: Any) -> None:
    """`connection_created` receiver: give a new SQLite connection the Unicode functions."""
    if connection.vendor != "sqlite":
        return
    raw = connection.connection
    raw.create_function("lower", 1, _lower, deterministic=True)
    raw.create_function("upper", 1, _upper, deterministic=True)
    raw.create_function("like", 2, _like, deterministic=True)
    raw.create_function("like", 3, _like, deterministic=True)
