"""Reads about people."""

from __future__ import annotations

from portail.accounts.models import User


def active_user(*, user_id: object) -> User | None:
    """The active account with this id, or None (deactivated, deleted, or not an id)."""
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()
