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


# Crockford's base 32: no I, L, O or U, so a code read aloud or copied by hand
# survives; what people type instead (o for 0, i or l for 1) is read back.
RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
RECOVERY_GROUPS = 4  # of 4 characters: 16 characters, 80 bits
_READ_AS = str.maketrans({"o": "0", "i": "1", "l": "1"})


def new_recovery_code() -> str:
    """A one-time recovery code as shown to the person: 'k3m9-x2pq-7d4w-h8ta'."""
    groups = (
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(4)) for _ in range(RECOVERY_GROUPS)
    )
    return "-".join(groups)


def normalize_recovery_code(typed: str) -> str:
    """The code as stored (hashed): lower case, without spaces or hyphens; '' if malformed."""
    code = "".join(typed.split()).replace("-", "").lower().translate(_READ_AS)
    if len(code) != 4 * RECOVERY_GROUPS or any(c not in RECOVERY_ALPHABET for c in code):
        return ""
    return code
