"""Two-factor sign-in: a TOTP app (django-otp) plus ten one-time recovery codes.

A person turns it on by scanning a QR code and typing one code from their app:
the TOTP device stays unconfirmed (and is not asked at sign-in) until then.
Changes are written to the log `portail.accounts.twofactor`, not to the audit
log: audit events belong to a portal, and this is a person's own setting,
across all their portals (and `accounts`, the lowest layer, imports no app
above it).
"""

from __future__ import annotations

import logging
import time
from base64 import b32encode
from dataclasses import dataclass

import segno
from django.db import transaction
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django_otp.models import Device, VerifyNotAllowed
from django_otp.plugins.otp_totp.models import TOTPDevice

from portail.accounts.models import RecoveryCode, RecoveryCodeDevice, User
from portail.accounts.tokens import hash_token, new_recovery_code, normalize_recovery_code

logger = logging.getLogger(__name__)

RECOVERY_CODE_COUNT = 10
TOTP_DIGITS = 6  # django-otp's default; apps show "123 456"


@dataclass(frozen=True)
class Verification:
    """What checking a code gave: the device that accepted it, or how long to wait."""

    device: Device | None
    wait_seconds: int = 0


def session_verified(request: HttpRequest) -> bool:
    """Whether this session was signed in, or confirmed, with a second factor.

    `OTPMiddleware` puts the verifying device on the user (None when unverified)."""
    return getattr(request.user, "otp_device", None) is not None


def two_factor_enabled(*, user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def totp_device_for_setup(*, user: User) -> TOTPDevice:
    """The person's unconfirmed TOTP device, made on first call (the secret stays put
    while they reload the page; a new one is made only after turning two-factor off)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def totp_secret(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it typed: base 32, in groups of four."""
    raw = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def totp_qr_svg(device: TOTPDevice, *, title: str) -> SafeString:
    """The otpauth:// address as an inline SVG QR code (no style attribute, no data: URI)."""
    qr = segno.make(device.config_url, error="m")
    svg = qr.svg_inline(border=2, omitsize=True, svgclass="qr", lineclass=None, title=title)
    # Trusted markup: segno writes only its own elements and numbers, and escapes the
    # title (segno/writers.py, `escape(title)`); nothing a person typed reaches it.
    return format_html("{}", SafeString(svg))  # nosec B703


@transaction.atomic
def two_factor_confirm(*, user: User, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the app with one of its codes; return the first recovery codes, or None.

    On success the device is confirmed, any other TOTP device of the person is
    removed, and ten fresh recovery codes replace any older ones.
    """
    code = _without_spaces(code)
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
    if device.confirmed or not _totp_code_shaped(code):
        return None
    # No waiting after a wrong code here: this page shows the secret itself, so making
    # its owner wait protects nothing (sign-in, where it does, keeps django-otp's waits).
    device.throttle_reset(commit=False)
    if not device.verify_token(code):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    codes = _recovery_codes_replace(user=user)
    logger.info("two-factor sign-in turned on for user %s", user.pk)
    return codes


@transaction.atomic
def recovery_codes_regenerate(*, user: User) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    codes = _recovery_codes_replace(user=user)
    logger.info("recovery codes regenerated for user %s", user.pk)
    return codes


def _recovery_codes_replace(*, user: User) -> list[str]:
    RecoveryCodeDevice.objects.filter(user=user).delete()
    device = RecoveryCodeDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, code_hash=hash_token(normalize_recovery_code(code)))
        for code in codes
    )
    return codes


def recovery_codes_left(*, user: User) -> int:
    return RecoveryCode.objects.filter(
        device__user=user, device__confirmed=True, used_at__isnull=True
    ).count()


@transaction.atomic
def two_factor_disable(*, user: User) -> None:
    """Remove the app and the recovery codes: sign-in asks for the password only."""
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCodeDevice.objects.filter(user=user).delete()
    logger.info("two-factor sign-in turned off for user %s", user.pk)


def two_factor_verify(*, user: User, code: str) -> Verification:
    """Check a code typed at sign-in: six digits from the app, or an unused recovery code.

    A recovery code is spent by the check. After a wrong app code django-otp
    makes the app wait (1 s, 2 s, 4 s… per failure in a row, reset by a right
    code); during the wait no app code is checked and `wait_seconds` says how
    long is left. Recovery codes, being too long to guess, are checked anyway.
    """
    code = _without_spaces(code)
    with transaction.atomic():
        if _totp_code_shaped(code):
            totp = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
            if totp is None:
                return Verification(None)
            allowed, details = totp.verify_is_allowed()
            if (
                not allowed
                and details
                and details.get("reason") == (VerifyNotAllowed.N_FAILED_ATTEMPTS)
            ):
                locked_until = details.get("locked_until")
                wait = locked_until.timestamp() - time.time() if locked_until else 1
                return Verification(None, wait_seconds=max(1, round(wait + 0.5)))
            return Verification(totp if totp.verify_token(code) else None)
        recovery = RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first()
        if recovery is not None and recovery.verify_token(code):
            logger.info("user %s signed in with a recovery code", user.pk)
            return Verification(recovery)
    return Verification(None)


def password_or_code_matches(*, user: User, secret: str) -> bool:
    """For turning two-factor off or replacing the codes: the password, or a current code."""
    if user.check_password(secret):
        return True
    return two_factor_verify(user=user, code=secret).device is not None


def _totp_code_shaped(code: str) -> bool:
    return len(code) == TOTP_DIGITS and code.isdigit()


def _without_spaces(code: str) -> str:
    return "".join(code.split())
