"""Emails that carry a working link (an invitation, a password reset): the link is
made when the email is sent, never stored.

Why not store the link, or store it encrypted: the outbox row lives on in the
database, in its backups and on the Django admin's pages long after the email
left, and whoever can read it could take over the account or claim the
invitation. Encrypting the token in the row would only move the secret to the
encryption key (held by the same process, hence readable by the same people)
and leave a live secret at rest until it is erased. Instead the row holds a
*reference* (`link_kind` + `link_ref`, e.g. "invitation" + the invitation's id)
and a body with `LINK_PLACEHOLDER` where the link goes. At each attempt the
worker asks the app that owns the reference for a fresh link (`link_mint`):
that app makes a new token, stores only its hash with a conditional UPDATE
(which refuses when the invitation was revoked, replaced, accepted or has
expired, or the reset was used), and returns the URL. The raw token then only
exists in the memory of the sending process and in the message it sends.

A retry after a failed attempt makes a new token, so a link that was never
delivered stops working. When the owner refuses (nothing left to link to), the
email is not sent and its row says so (status "cancelled").

Layering: `notifications` knows no domain. The apps that own the references
register their minter here when Django starts (their `AppConfig.ready`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.html import escape

# Where the link goes in a stored body. Characters that HTML escaping leaves
# alone, so the text and the HTML bodies hold the same marker. Should a name in
# the email happen to read like it, the link shows there too: harmless, since
# the email goes to the person the link is for, and the row still holds no link.
LINK_PLACEHOLDER = "[[portail-link]]"

# Given the reference's id and the moment of sending: the full URL with a fresh
# token, or None when the reference no longer deserves a link.
LinkMinter = Callable[[int, dt.datetime], str | None]

_minters: dict[str, LinkMinter] = {}


@dataclass(frozen=True)
class EmailLink:
    """What an outbox row's link is made from: whose minter, and which row of theirs."""

    kind: str
    ref: int


def link_kind_register(kind: str, minter: LinkMinter) -> None:
    """Tell the outbox how to make links of `kind` (call it from `AppConfig.ready`)."""
    known = _minters.get(kind)
    if known is not None and known is not minter:
        raise ValueError(f"Link kind {kind!r} is already registered.")
    _minters[kind] = minter


def link_kind_known(kind: str) -> bool:
    return kind in _minters


def link_mint(*, link: EmailLink, now: dt.datetime) -> str | None:
    """A fresh URL for the link (its token made now, only its hash stored); None if refused."""
    minter = _minters.get(link.kind)
    if minter is None:
        raise LookupError(f"No link minter is registered for {link.kind!r}.")
    return minter(link.ref, now)


def link_fill(*, text: str, html: str, url: str) -> tuple[str, str]:
    """The bodies to send: the placeholder replaced by the URL (escaped in the HTML)."""
    return text.replace(LINK_PLACEHOLDER, url), html.replace(LINK_PLACEHOLDER, escape(url))
