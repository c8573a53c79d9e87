"""The Unicode LIKE, lower() and upper() that SQLite connections get (portail.sqlite_unicode);
the same queries on PostgreSQL prove both databases agree."""

from __future__ import annotations

import pytest
from django.db import connection

from portail.sqlite_unicode import _like

pytestmark = pytest.mark.django_db


def one(sql: str, *params: str) -> object:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def test_lower_and_upper_fold_every_alphabet() -> None:
    assert one("SELECT LOWER(%s)", "ÉCOLE Ÿ Æ") == "école ÿ æ"
    assert one("SELECT UPPER(%s)", "zoé ß") in {"ZOÉ SS", "ZOÉ ß"}  # PostgreSQL keeps ß


@pytest.mark.parametrize(
    ("value", "pattern", "matches"),
    [
        ("Zoé Martin", "%zoÉ%", True),
        ("Zoé Martin", "zoé", False),  # a whole-value match without wildcards
        ("a_b", r"a\_b", True),
        ("axb", r"a\_b", False),
        ("50%", r"50\%", True),
        ("500", r"50\%", False),
        ("line\nbreak", "line%", True),
    ],
)
def test_like_is_case_insensitive_and_keeps_wildcards_and_escapes(
    value: str, pattern: str, matches: bool
) -> None:
    sql = "SELECT CASE WHEN %s ILIKE %s ESCAPE '\\' THEN 1 ELSE 0 END"
    if connection.vendor == "sqlite":
        sql = "SELECT %s LIKE %s ESCAPE '\\'"
    assert bool(one(sql, value, pattern)) is matches


def test_like_passes_nulls_through_and_refuses_a_long_escape() -> None:
    assert _like(None, "x") is None
    assert _like("x", None) is None
    with pytest.raises(ValueError, match="single character"):
        _like("x", "x", "ab")
