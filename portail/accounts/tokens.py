"""Secret tokens for links sent by email (password reset, invitations).

A token is 256 random bits from `secrets`; only its SHA-256 hash is stored, so
a leaked database does not leak working links. Compare hashes with
`hmac.compare_digest`, and spend a token with a conditional UPDATE so a second
use fails.
"""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> tuple[str, str]:
    """Return (raw token for the link, hash to store)."""
    raw = secrets.token_urlsafe(32)
    return raw, hash_token(raw)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()
