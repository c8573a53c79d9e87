"""Signed-in sessions: their limits in time, and ending all of a person's at once.

A session holds when the person signed in (SIGNED_IN_AT) and when it was last
used (SEEN_AT, refreshed at most once a minute so that reading pages does not
write the session each time); SessionLimitsMiddleware ends it past
SESSION_IDLE_TIMEOUT of inactivity or SESSION_ABSOLUTE_LIFETIME after sign-in.

Each session row holds the id of the person signed in to it (UserSession, written
by the session engine portail.accounts.session_store), so that user_sessions_end
can end a person's sessions without reading every session of the installation:
when they are deactivated, removed from their last portal, or change their
password (Django's session hash already refuses a session made with the old
password; ending the sessions also removes them).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction

from portail.accounts.models import User, UserSession

SIGNED_IN_AT = "portail_signed_in_at"  # POSIX seconds
SEEN_AT = "portail_seen_at"  # POSIX seconds
SEEN_REFRESH_SECONDS = 60


def session_expired(session: SessionBase, now: float) -> bool:
    """Whether a signed-in session is past its idle timeout or its absolute lifetime."""
    signed_in_at = session.get(SIGNED_IN_AT)
    seen_at = session.get(SEEN_AT)
    if isinstance(signed_in_at, int | float) and (
        now - signed_in_at > settings.SESSION_ABSOLUTE_LIFETIME.total_seconds()
    ):
        return True
    return isinstance(seen_at, int | float) and (
        now - seen_at > settings.SESSION_IDLE_TIMEOUT.total_seconds()
    )


def session_stamp(*, session: SessionBase, now: float) -> None:
    """Stamp a signed-in session: the sign-in time once, the last use at most once a
    minute (each stamp is a write of the session)."""
    session.setdefault(SIGNED_IN_AT, now)
    seen_at = session.get(SEEN_AT)
    if not isinstance(seen_at, int | float) or now - seen_at >= SEEN_REFRESH_SECONDS:
        session[SEEN_AT] = now


@transaction.atomic
def user_sessions_end(*, user: User, keep_session_key: str | None = None) -> int:
    """End every session of the person but `keep_session_key` (the one making a password
    change); how many were ended. Call it inside the transaction of the change: the
    sessions end if and only if the change commits."""
    sessions = UserSession.objects.filter(user_id=user.pk)
    if keep_session_key:
        sessions = sessions.exclude(session_key=keep_session_key)
    ended, _ = sessions.delete()
    return int(ended)
