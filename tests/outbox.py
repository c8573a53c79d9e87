"""Sending the outbox in tests, the way the worker does, and reading links from what was sent.

A working link never sits in an outbox row (notifications/links.py): it is made
when the email is sent. So a test that needs a link sends the email first and
takes the link from the message that left (`django.core.mail.outbox`).
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives
from zeal import zeal_ignore

from portail.notifications.delivery import email_attempt
from portail.notifications.models import EmailStatus, OutboundEmail

INVITATION_LINK = re.compile(r"https?://\S+?/invitations/(?P<token>[A-Za-z0-9_-]+)/")
RESET_LINK = re.compile(r"https?://\S+?/accounts/password/reset/(?P<token>[A-Za-z0-9_-]+)/")


def deliver(*, now: dt.datetime | None = None) -> list[EmailMessage]:
    """Make one attempt at every queued email, oldest first; return the messages sent."""
    before = len(mail.outbox)
    queued = OutboundEmail.objects.filter(status=EmailStatus.QUEUED).order_by("pk")
    with zeal_ignore():  # one worker task per email: sending several is not an N+1
        for pk in list(queued.values_list("pk", flat=True)):
            email_attempt(email_id=pk, now=now)
    return list(mail.outbox[before:])


def html_of(message: EmailMessage) -> str:
    assert isinstance(message, EmailMultiAlternatives)
    content = message.alternatives[0][0]
    return content if isinstance(content, str) else content.decode()


def link_in(message: EmailMessage, pattern: re.Pattern[str] = INVITATION_LINK) -> str:
    """The one link of this kind in the message's text (the same one as in its HTML)."""
    found = {match.group(0) for match in pattern.finditer(str(message.body))}
    assert len(found) == 1, f"expected one link, found {sorted(found)}"
    return found.pop()


def token_in(message: EmailMessage, pattern: re.Pattern[str] = INVITATION_LINK) -> str:
    match = pattern.search(link_in(message, pattern))
    assert match is not None
    return match["token"]


def path_of(url: str) -> str:
    return urlsplit(url).path


def deliver_email(email: OutboundEmail, *, now: dt.datetime | None = None) -> EmailMessage:
    """Send this one outbox row as the worker would; the message that left."""
    before = len(mail.outbox)
    with zeal_ignore():  # one worker task per email: sending several is not an N+1
        email_attempt(email_id=email.pk, now=now)
    sent = mail.outbox[before:]
    assert len(sent) == 1, (
        f"email {email.pk} was not sent: {OutboundEmail.objects.get(pk=email.pk)}"
    )
    return sent[0]


def deliver_link(kind: str, ref: int, *, now: dt.datetime | None = None) -> EmailMessage:
    """Send the latest email carrying the link to (kind, ref); the message that left."""
    with zeal_ignore():
        email = OutboundEmail.objects.filter(link_kind=kind, link_ref=ref).latest("pk")
    return deliver_email(email, now=now)
