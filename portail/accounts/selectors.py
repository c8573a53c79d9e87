"""Reads about people."""

from __future__ import annotations

from django.db.models import Q

from portail.accounts.models import User


def active_user(*, user_id: object) -> User | None:
    """The active account with this id, or None (deactivated, deleted, or not an id)."""
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def person_matches(search: str, *, via: str = "") -> Q:
    """People whose name or email contains `search` (any case): the one condition of every
    people search. `via` is the path from the rows searched to their User, e.g.
    "membership__user__"."""
    return Q(**{f"{via}full_name__icontains": search}) | Q(**{f"{via}email__icontains": search})
