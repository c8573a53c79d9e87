"""What django-axes counts sign-in failures against: the person and where they are.

Both must be what an attacker cannot vary at will: the email address is
normalised (sign-in ignores case, so the lock-out must too), and the client
address is read behind exactly TRUSTED_PROXY_COUNT reverse proxies (behind a
proxy every request comes from the proxy's own address; reading further
left in X-Forwarded-For than the proxies we run would trust what the client
wrote).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from portail.accounts.models import normalize_email


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    raw = (credentials or {}).get("username") or request.POST.get("username") or ""
    return normalize_email(str(raw))


def client_ip(request: HttpRequest) -> str:
    remote = str(request.META.get("REMOTE_ADDR", ""))
    proxies: int = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
        if part.strip()
    ]
    # Each trusted proxy appends the address it received from; the client is the
    # entry our outermost proxy appended.
    if len(forwarded) >= proxies:
        return forwarded[-proxies]
    return remote
