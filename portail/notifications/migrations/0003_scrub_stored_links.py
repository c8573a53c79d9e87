"""No working link at rest: take the invitation and password-reset links out of stored emails.

Before 0002, the outbox kept each email's whole body, link included, for ever.
Now the worker makes the link when it sends (notifications/links.py). For the
rows written before:

- an email not sent yet (queued, in flight or failed) whose link's invitation
  or reset still exists becomes a row of the new kind: the link in its bodies
  gives way to the placeholder and the row points at the invitation or reset,
  so it still goes out, with a fresh link; one whose invitation or reset is
  gone is cancelled;
- every other stored link (emails already sent) is replaced by "[link removed]".

The link is found by its path: /invitations/<token>/ and
/accounts/password/reset/<token>/ (portail/urls.py, clients/invitation_urls.py,
accounts/urls.py), wherever the site is mounted.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from django.db import migrations
from django.db.models import Q

PLACEHOLDER = "[[portail-link]]"  # links.LINK_PLACEHOLDER when this was written
REMOVED = "[link removed]"
LINK = re.compile(
    r"(?:https?://[^\s\"'<>]*?)?/(?P<what>invitations|password/reset)/(?P<token>[A-Za-z0-9_\-]+)/"
)
UNSENT = ("queued", "sending", "failed")


def scrub(apps: Any, schema_editor: Any) -> None:
    OutboundEmail = apps.get_model("notifications", "OutboundEmail")
    Invitation = apps.get_model("clients", "Invitation")
    PasswordResetToken = apps.get_model("accounts", "PasswordResetToken")
    rows = OutboundEmail.objects.filter(
        Q(body_text__contains="/invitations/")
        | Q(body_html__contains="/invitations/")
        | Q(body_text__contains="/password/reset/")
        | Q(body_html__contains="/password/reset/")
    ).order_by("pk")
    for email in rows.iterator():
        found = LINK.search(email.body_text) or LINK.search(email.body_html)
        if found is None:
            continue
        if email.status in UNSENT and not email.link_kind:
            digest = hashlib.sha256(found["token"].encode("utf-8")).hexdigest()
            if found["what"] == "invitations":
                kind = "invitation"
                ref = Invitation.objects.filter(token_hash=digest).values_list("pk", flat=True)
            else:
                kind = "password_reset"
                ref = PasswordResetToken.objects.filter(token_hash=digest).values_list(
                    "pk", flat=True
                )
            pk = ref.first()
            if pk is not None:
                email.link_kind, email.link_ref = kind, pk
                email.body_text = LINK.sub(PLACEHOLDER, email.body_text)
                email.body_html = LINK.sub(PLACEHOLDER, email.body_html)
                email.save(update_fields=["link_kind", "link_ref", "body_text", "body_html"])
                continue
            email.status = "cancelled"
            email.claimed_at = None
            email.last_error = (
                "Not sent: its link no longer has anything to open "
                "(withdrawn, replaced, already used or expired)."
            )
        email.body_text = LINK.sub(REMOVED, email.body_text)
        email.body_html = LINK.sub(REMOVED, email.body_html)
        email.save(update_fields=["body_text", "body_html", "status", "claimed_at", "last_error"])


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_outbound_email_link_reference"),
        ("clients", "0002_invitation"),
        ("accounts", "0001_initial"),
    ]

    operations = [migrations.RunPython(scrub, migrations.RunPython.noop)]
