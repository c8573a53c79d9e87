"""portail/web.py's helpers that no page test reaches on its own (issue 13)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from portail.web import MAX_ID, paginate, row_url


def test_issue13_row_url_gives_what_reverse_gives_for_each_row() -> None:
    page = {"portal_slug": "acme", "project_id": 12}
    link = row_url("project-clients:user-remove", "membership_id", **page)
    for pk in (1, 9, 12, 120, 4_000_000, MAX_ID):
        assert link(pk) == reverse(
            "project-clients:user-remove", kwargs={**page, "membership_id": pk}
        )


def test_issue13_row_url_reverses_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import portail.web

    calls: list[str] = []
    real = portail.web.reverse

    def counting(viewname: str, **kwargs: object) -> str:
        calls.append(viewname)
        return real(viewname, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(portail.web, "reverse", counting)
    link = row_url("clients:user-edit", "membership_id", portal_slug="acme")
    assert [link(pk) for pk in range(1, 101)][-1] == real(
        "clients:user-edit", kwargs={"portal_slug": "acme", "membership_id": 100}
    )
    assert calls == ["clients:user-edit"]


def test_issue13_row_url_falls_back_when_the_sentinel_shows_elsewhere() -> None:
    # The project id happens to be the sentinel: each row is reversed on its own, right.
    link = row_url(
        "project-clients:user-edit", "membership_id", portal_slug="acme", project_id=MAX_ID
    )
    assert link(5) == reverse(
        "project-clients:user-edit",
        kwargs={"portal_slug": "acme", "project_id": MAX_ID, "membership_id": 5},
    )


def test_issue13_row_url_raises_like_reverse_for_an_unknown_name() -> None:
    with pytest.raises(NoReverseMatch):
        row_url("no-such:page", "membership_id", portal_slug="acme")


def test_issue13_paginate_uses_a_count_it_is_given() -> None:
    request = RequestFactory().get("/", {"page": "3"})
    page = paginate(request, list(range(25)), 10, count=25)
    assert page.number == 3
    assert list(page.object_list) == [20, 21, 22, 23, 24]
    assert page.paginator.num_pages == 3
