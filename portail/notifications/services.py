"""The outbox's writes: queue an email, re-send a failed one, rescue stuck ones.

Every email is a row first (`email_queue`), written in the caller's
transaction; the task that sends it is enqueued only once that transaction
commits, so a rolled-back change neither leaves a row nor sends anything.
Sending itself is `delivery.email_attempt`, run by the task in `tasks.py`.
Permission checks happen in the views, not here.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portail.notifications import tasks
from portail.notifications.links import LINK_PLACEHOLDER, EmailLink, link_kind_known
from portail.notifications.models import EmailStatus, OutboundEmail
from portail.portals.models import Portal

logger = logging.getLogger(__name__)

# A due row still queued this long lost its task (django-tasks-db has no
# retries, and a worker that dies leaves its task RUNNING for ever).
REAP_LOST_AFTER = dt.timedelta(minutes=10)
# Rows handled per reaper pass; the next pass takes the rest.
REAP_BATCH = 500

SUBJECT_MAX_LENGTH = OutboundEmail._meta.get_field("subject").max_length or 300
KIND_MAX_LENGTH = OutboundEmail._meta.get_field("kind").max_length or 60


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def email_render(
    *, template: str, context: dict[str, Any], language: str, portal: Portal | None = None
) -> RenderedEmail:
    """Render `emails/<template>.subject.txt`, `.txt` and `.html` in `language`."""
    language = _supported_language(language)
    with translation.override(language):
        full_context = {
            "portal": portal,
            "base_url": settings.PORTAIL_BASE_URL,
            **context,
        }
        # One line; collapse ASCII whitespace only, so French non-breaking spaces survive.
        subject = re.sub(
            r"[ \t\r\n]+", " ", render_to_string(f"emails/{template}.subject.txt", full_context)
        ).strip(" ")
        full_context["subject"] = subject
        text = render_to_string(f"emails/{template}.txt", full_context)
        html = render_to_string(f"emails/{template}.html", full_context)
    return RenderedEmail(subject=subject[:SUBJECT_MAX_LENGTH], text=_tidy_text(text), html=html)


def email_queue(
    *,
    kind: str,
    to: str,
    template: str,
    context: dict[str, Any],
    language: str,
    portal: Portal | None = None,
    link: EmailLink | None = None,
    now: dt.datetime | None = None,
) -> OutboundEmail:
    """Write an email to the outbox; it is sent by the worker once the transaction commits.

    Call it inside the transaction of the change that causes the email.
    `template` names `emails/<template>.subject.txt`, `.txt` and `.html`;
    they are rendered now, in `language` (the recipient's), with `context`
    plus `portal` and `base_url`.

    An email with a working link (an invitation, a password reset) never gets
    the link here: the caller puts `links.LINK_PLACEHOLDER` in the context where
    the URL goes and passes `link`, from which the worker makes the URL when
    sending (see `links.py` for why). `now` is when the row is written and due.
    """
    validate_email(to)
    if not kind or len(kind) > KIND_MAX_LENGTH:
        raise ValueError(f"kind must be 1 to {KIND_MAX_LENGTH} characters, not {kind!r}")
    if link is not None and not link_kind_known(link.kind):
        raise ValueError(f"No link minter is registered for {link.kind!r}.")
    language = _supported_language(language)
    rendered = email_render(template=template, context=context, language=language, portal=portal)
    if link is not None and LINK_PLACEHOLDER not in rendered.text:
        raise ValueError(f"The {template!r} email has no place for its link.")
    now = now or timezone.now()
    with transaction.atomic():
        email = OutboundEmail.objects.create(
            portal=portal,
            kind=kind,
            to=to,
            subject=rendered.subject,
            body_text=rendered.text,
            body_html=rendered.html,
            language=language,
            link_kind=link.kind if link is not None else "",
            link_ref=link.ref if link is not None else None,
            created_at=now,
            next_attempt_at=now,
        )
        transaction.on_commit(partial(_enqueue_send, email.pk), robust=True)
    return email


def outbox_retry(*, email: OutboundEmail) -> OutboundEmail:
    """Send a failed email again, from a fresh count of attempts (an admin's action)."""
    with transaction.atomic():
        updated = OutboundEmail.objects.filter(pk=email.pk, status=EmailStatus.FAILED).update(
            status=EmailStatus.QUEUED,
            attempts=0,
            next_attempt_at=timezone.now(),
            claimed_at=None,
        )
        if not updated:
            raise ValidationError(_("Only a failed email can be sent again."), code="not_failed")
        transaction.on_commit(partial(_enqueue_send, email.pk), robust=True)
    email.refresh_from_db()
    return email


def outbox_reap(*, now: dt.datetime | None = None) -> int:
    """Re-queue rows stuck in flight and rows whose task was lost; return how many.

    - `sending` for longer than `settings.OUTBOX_STUCK_MINUTES` (5 by default, far
      above EMAIL_TIMEOUT; settings.py checks it): the worker died mid-send;
      back to queued with a new task (or failed, if it had its last attempt);
    - `queued` and due for longer than REAP_LOST_AFTER: its task was lost;
      a new task, and the clock restarts so the next pass does not add another.

    Several reapers may run at once (one per worker): rows are locked and
    skipped when locked, and a duplicate task is harmless (the claim).
    """
    now = now or timezone.now()
    stuck_after = dt.timedelta(minutes=settings.OUTBOX_STUCK_MINUTES)
    stuck = Q(status=EmailStatus.SENDING, claimed_at__lt=now - stuck_after)
    lost = Q(status=EmailStatus.QUEUED, next_attempt_at__lt=now - REAP_LOST_AFTER)
    written_before: dt.datetime = now - settings.OUTBOX_GIVE_UP_AFTER
    with transaction.atomic():
        rows = list(
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(stuck | lost)
            .order_by("pk")
            .values_list("pk", "status", "created_at")[:REAP_BATCH]
        )
        stuck_ids = [pk for pk, status, _n in rows if status == EmailStatus.SENDING]
        give_up_ids = [
            pk
            for pk, status, created_at in rows
            if status == EmailStatus.SENDING and created_at < written_before
        ]
        rescue_ids = [pk for pk in stuck_ids if pk not in give_up_ids]
        lost_ids = [pk for pk, status, _n in rows if status == EmailStatus.QUEUED]
        if give_up_ids:
            OutboundEmail.objects.filter(pk__in=give_up_ids).update(
                status=EmailStatus.FAILED,
                claimed_at=None,
                last_error="The worker stopped while sending, and the email is too old to retry.",
            )
        if rescue_ids:
            OutboundEmail.objects.filter(pk__in=rescue_ids).update(
                status=EmailStatus.QUEUED,
                claimed_at=None,
                next_attempt_at=now,
                last_error="The worker stopped while sending; queued again.",
            )
        if lost_ids:
            OutboundEmail.objects.filter(pk__in=lost_ids).update(next_attempt_at=now)
        for pk in [*rescue_ids, *lost_ids]:
            transaction.on_commit(partial(_enqueue_send, pk), robust=True)
    if rows:
        logger.warning(
            "Outbox reaper: %s stuck in flight re-queued, %s failed for good, %s lost re-queued",
            len(rescue_ids),
            len(give_up_ids),
            len(lost_ids),
        )
    return len(rescue_ids) + len(lost_ids)


def _enqueue_send(email_id: int) -> None:
    # After commit, so the worker finds the row. If this fails (robust=True logs
    # and carries on), the row waits for the reaper: it is never lost.
    tasks.email_send.enqueue(email_id)


def _supported_language(language: str) -> str:
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _tidy_text(text: str) -> str:
    """Plain-text bodies: no trailing spaces, at most one blank line in a row."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"
