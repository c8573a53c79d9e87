"""Helpers for tests of two-factor sign-in: a clock the app codes follow, and codes from it."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from zeal import zeal_ignore

from portail.accounts.models import User

RECOVERY_CODE = re.compile(r"<code>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})</code>")


class Clock:
    """Stands for the `time` module where django-otp and the code step read the time."""

    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def time(self) -> float:
        return self.now

    def tick(self, seconds: float) -> None:
        self.now += seconds


def install_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Make the app codes and the code step's expiry follow a clock the test moves."""
    fake = Clock()
    monkeypatch.setattr("django_otp.plugins.otp_totp.models.time", fake)
    monkeypatch.setattr("portail.accounts.twofactor_views.time", fake)
    return fake


def app_code(device: TOTPDevice, clock: Clock) -> str:
    """The code the person's authenticator app shows now."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = clock.now
    return f"{totp.token():06d}"


def wrong_code(device: TOTPDevice, clock: Clock) -> str:
    right = int(app_code(device, clock))
    return f"{(right + 1) % 1_000_000:06d}"


def confirmed_device(user: User) -> TOTPDevice:
    device: TOTPDevice = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    return device


def recovery_codes_in(content: bytes) -> list[str]:
    return RECOVERY_CODE.findall(content.decode())


def set_up_through_the_pages(c: Client, user: User, clock: Clock) -> list[str]:
    """Turn two-factor sign-in on as the person would; return the recovery codes shown."""
    c.get(reverse("accounts:two-factor-setup"))
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    with zeal_ignore():
        response = c.post(reverse("accounts:two-factor-setup"), {"code": app_code(device, clock)})
    assert response.status_code == 200
    codes = recovery_codes_in(response.content)
    assert len(codes) == 10
    clock.tick(30)  # the next code the app shows
    return codes
