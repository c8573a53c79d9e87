"""One attempt at sending one outbox row: claim it, send it, record what happened.

The claim is a conditional UPDATE (queued and due -> sending), so however many
tasks or workers run for a row, only one of them sends it at a time. The
outcome decides the row's next state:

- sent: the SMTP server accepted the message;
- temporary failure (SMTP 4xx, server disconnected, connection refused,
  timeout, any other network error): back to queued with an exponential
  backoff, for `settings.OUTBOX_GIVE_UP_AFTER` after the email was written
  (an SMTP outage of a day loses nothing), then failed;
- permanent failure (SMTP 5xx, every recipient refused with 5xx, a message
  that cannot be built): failed at once, shown to admins on the outbox page;
- cancelled: the email carries a working link (`links.py`) and its owner
  refuses to make one (the invitation was withdrawn, replaced, accepted or has
  expired; the reset link was used or has expired): nothing is sent.

An email with a link gets its link here, at each attempt, from a fresh token
(`links.link_mint`): the row never holds it, and neither do the log lines.

The task in `tasks.py` schedules the next attempt; `services.outbox_reap`
rescues rows whose worker died. If the retry classes change, update the
outbox page's help text (templates/notifications/outbox.html) too.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F
from django.utils import timezone

from portail.notifications.links import LINK_PLACEHOLDER, EmailLink, link_fill, link_mint
from portail.notifications.models import EmailStatus, OutboundEmail

logger = logging.getLogger(__name__)

BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_CAP = dt.timedelta(hours=1)
# A row is due a little before its time, so a worker whose clock runs slightly
# behind the web server's does not skip a fresh email (it would wait for the reaper).
CLOCK_SKEW = dt.timedelta(seconds=5)
# A stuck SMTP server must not hold a worker (settings caps EMAIL_TIMEOUT too).
MAX_SMTP_TIMEOUT = 10
LAST_ERROR_MAX_LENGTH = 500


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # temporary failure: queued again for later
    FAILED = "failed"
    CANCELLED = "cancelled"  # its link has nothing left to open: not sent
    SKIPPED = "skipped"  # not claimed: already sent, in flight, failed or not yet due


@dataclass(frozen=True)
class Attempt:
    outcome: Outcome
    retry_at: dt.datetime | None = None


def backoff_delay(attempts: int) -> dt.timedelta:
    """How long to wait after the `attempts`-th failed attempt: 30 s, 1 min, 2 min, ... 1 h."""
    exponent = min(max(attempts, 1) - 1, 16)  # 2**16 * 30 s is far past the cap
    delay: dt.timedelta = BACKOFF_BASE * (2**exponent)
    return min(delay, BACKOFF_CAP)


def email_claim(*, email_id: int, now: dt.datetime | None = None) -> OutboundEmail | None:
    """Take the row for sending if it is queued and due; None if someone else has it.

    The conditional UPDATE is the claim: it matches only while the row is still
    queued, due, and at the attempt count read just before, so of two workers
    racing for a row exactly one gets it.
    """
    now = now or timezone.now()
    due = OutboundEmail.objects.filter(
        pk=email_id, status=EmailStatus.QUEUED, next_attempt_at__lte=now + CLOCK_SKEW
    )
    email = due.first()
    if email is None:
        return None
    claimed = due.filter(attempts=email.attempts).update(
        status=EmailStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    email.status = EmailStatus.SENDING
    email.claimed_at = now
    email.attempts += 1
    return email


def email_attempt(*, email_id: int, now: dt.datetime | None = None) -> Attempt:
    """Claim the row and try to send it once; the row records the outcome.

    `now` is the moment of the attempt (tests set it; the worker does not).
    """
    now = now or timezone.now()
    email = email_claim(email_id=email_id, now=now)
    if email is None:
        return Attempt(Outcome.SKIPPED)
    text, html = email.body_text, email.body_html
    url = ""
    try:
        if email.link_kind:
            minted = link_mint(link=EmailLink(email.link_kind, email.link_ref or 0), now=now)
            if minted is None:
                return _record_cancelled(email)
            url = minted
            text, html = link_fill(text=text, html=html, url=url)
        accepted = _send(email, text=text, html=html)
    except Exception as exc:
        temporary, error = classify_error(exc)
        if url:
            # A server's refusal may quote the message: the row must not keep the link.
            error = error.replace(url, LINK_PLACEHOLDER)
        if not temporary and not isinstance(exc, smtplib.SMTPException | OSError):
            logger.exception("Outbox email %s could not be sent", email.pk)
        return _record_failure(email, temporary=temporary, error=error)
    if not accepted:
        return _record_failure(
            email, temporary=False, error="The email backend did not accept the message."
        )
    # Sent is the truth whatever happened to the row meanwhile: never send it again.
    # An earlier attempt's error no longer says anything about the email: cleared.
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=EmailStatus.SENT, sent_at=timezone.now(), claimed_at=None, last_error=""
    )
    logger.info("Outbox email %s sent (attempt %s)", email.pk, email.attempts)
    return Attempt(Outcome.SENT)


def classify_error(exc: BaseException) -> tuple[bool, str]:
    """(is it temporary?, a short description without secrets) for a sending error."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = list(exc.recipients.values())
        temporary = not answers or any(not _is_permanent(code) for code, _msg in answers)
        detail = "; ".join(
            f"{address}: {code} {_text(message)}"
            for address, (code, message) in exc.recipients.items()
        )
        return temporary, _short(f"Recipient refused: {detail}")
    if isinstance(exc, smtplib.SMTPResponseException):
        # Sender refused, data refused, HELO refused, authentication refused, ...
        code = exc.smtp_code
        return not _is_permanent(code), _short(f"{code} {_text(exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return False, _short(f"SMTP server does not support a needed feature: {exc}")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True, _short(f"SMTP server disconnected: {exc}")
    if isinstance(exc, smtplib.SMTPException | OSError):
        # Connection refused, timeouts, TLS handshakes, DNS: the network, not the message.
        return True, _short(f"{type(exc).__name__}: {exc}")
    return False, _short(f"{type(exc).__name__}: {exc}")


def _is_permanent(code: int) -> bool:
    return 500 <= code <= 599


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _short(text: str) -> str:
    one_line = " ".join(text.split())
    if len(one_line) <= LAST_ERROR_MAX_LENGTH:
        return one_line
    return one_line[: LAST_ERROR_MAX_LENGTH - 1] + "…"


def _message_id(email: OutboundEmail) -> str:
    # Stable across attempts, so a receiver can drop a duplicate should a worker
    # die after the server accepted the message but before the row said "sent".
    # Not for an email with a link: each attempt carries a new link that replaces
    # the previous one, and a receiver that dropped the newer copy as a duplicate
    # would leave the person with a dead link.
    domain = urlsplit(settings.PORTAIL_BASE_URL).hostname or "localhost"
    attempt = f".{email.attempts}" if email.link_kind else ""
    return f"<outbox.{email.pk}.{email.created_at:%Y%m%d%H%M%S%f}{attempt}@{domain}>"


def _send(email: OutboundEmail, *, text: str, html: str) -> int:
    timeout = min(settings.EMAIL_TIMEOUT or MAX_SMTP_TIMEOUT, MAX_SMTP_TIMEOUT)
    connection = get_connection(fail_silently=False, timeout=timeout)
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        connection=connection,
        headers={"Message-ID": _message_id(email), "Auto-Submitted": "auto-generated"},
    )
    if html:
        message.attach_alternative(html, "text/html")
    connection.open()
    try:
        return connection.send_messages([message]) or 0
    finally:
        try:
            connection.close()
        except Exception:
            # Once the server has the message, a failed QUIT must not cause a second copy.
            logger.warning("Outbox email %s: closing the SMTP connection failed", email.pk)


def _record_cancelled(email: OutboundEmail) -> Attempt:
    updated = OutboundEmail.objects.filter(
        pk=email.pk, status=EmailStatus.SENDING, claimed_at=email.claimed_at
    ).update(
        status=EmailStatus.CANCELLED,
        claimed_at=None,
        last_error="Not sent: its link no longer has anything to open "
        "(withdrawn, replaced, already used or expired).",
    )
    logger.info("Outbox email %s cancelled: its link is no longer wanted", email.pk)
    return Attempt(Outcome.CANCELLED) if updated else Attempt(Outcome.SKIPPED)


def _record_failure(email: OutboundEmail, *, temporary: bool, error: str) -> Attempt:
    # Only if the row is still ours (the reaper may have rescued it meanwhile).
    ours = OutboundEmail.objects.filter(
        pk=email.pk, status=EmailStatus.SENDING, claimed_at=email.claimed_at
    )
    retry_at = timezone.now() + backoff_delay(email.attempts)
    give_up_at: dt.datetime = email.created_at + settings.OUTBOX_GIVE_UP_AFTER
    if temporary and retry_at < give_up_at:
        updated = ours.update(
            status=EmailStatus.QUEUED, next_attempt_at=retry_at, claimed_at=None, last_error=error
        )
        logger.warning(
            "Outbox email %s: attempt %s failed, retrying at %s: %s",
            email.pk,
            email.attempts,
            retry_at.isoformat(),
            error,
        )
        return Attempt(Outcome.RETRY, retry_at) if updated else Attempt(Outcome.SKIPPED)
    if temporary:
        error = _short(f"{error} (gave up after {email.attempts} attempts)")
    updated = ours.update(status=EmailStatus.FAILED, claimed_at=None, last_error=error)
    logger.warning("Outbox email %s failed: %s", email.pk, error)
    return Attempt(Outcome.FAILED) if updated else Attempt(Outcome.SKIPPED)
