"""Secret tokens for links sent by email (password reset, invitations).

A token is 256 random bits from `secrets`; only its SHA-256 hash is stored, so
a leaked database does not leak working links. Compare hashes with
`hmac.compare_digest`, and spend a token with a conditional UPDATE so a second
use fails.

A token is made only when the email that carries it is sent (see
notifications/links.py): it never sits in a row, and `RedactTokens` keeps it
out of log lines.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets


def new_token() -> tuple[str, str]:
    """Return (raw token for the link, hash to store)."""
    raw = secrets.token_urlsafe(32)
    return raw, hash_token(raw)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


# What a raw token looks like where it may show up: a run of at least 43 URL-safe
# base64 characters (256 bits), as in /invitations/<token>/ or a query string.
TOKEN_SHAPE = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43,}(?![A-Za-z0-9_-])")
REDACTED = "[redacted]"


def redact_tokens(text: str) -> str:
    """`text` with everything shaped like a raw token replaced by "[redacted]"."""
    return TOKEN_SHAPE.sub(REDACTED, text)


class RedactTokens(logging.Filter):
    """A logging filter (settings.LOGGING) that keeps working links out of log lines.

    Django logs the path of a request it answers 4xx or 5xx (django.request,
    django.security.csrf) and the development server every request; for a link
    page (`/invitations/<token>/`, `/accounts/password/reset/<token>/`) the path
    holds the token. This filter renders the message and any traceback once,
    with token-shaped runs replaced, before any handler formats the record.
    Longer runs (a SHA-256 hex digest, 64 characters) are redacted too: no harm.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_tokens(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_tokens(record.exc_text)
        return True


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
