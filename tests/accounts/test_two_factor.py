"""Two-factor sign-in, through the pages: turning it on, signing in with a code or a
recovery code, the limits on wrong codes, turning it off and new recovery codes."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django.fixtures import Settings
from zeal import zeal_ignore

from portail.accounts.models import RecoveryCode, User
from portail.accounts.twofactor import two_factor_enabled
from portail.accounts.twofactor_views import MAX_CODE_FAILURES, PENDING_SECONDS
from portail.clients import invitation_services
from portail.portals.models import MembershipStatus
from tests.conftest import PASSWORD, World, make_member
from tests.outbox import deliver_link, token_in
from tests.two_factor import (
    Clock,
    app_code,
    confirmed_device,
    install_clock,
    recovery_codes_in,
    set_up_through_the_pages,
    wrong_code,
)

SIGNIN = reverse("accounts:signin")
CODE_STEP = reverse("accounts:signin-code")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


@pytest.fixture(autouse=True)
def _no_wait_between_codes(settings: Settings) -> None:
    """django-otp makes the app wait after a wrong code (1 s, 2 s…); one test checks that."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def session_of(c: Client) -> dict[str, Any]:
    """The client's session data and key (each read of `c.session` is a query)."""
    with zeal_ignore():
        session = c.session
        return {**dict(session.items()), "key": session.session_key}


def signed_in(c: Client) -> bool:
    return "_auth_user_id" in session_of(c)


def password_step(c: Client, email: str, next_url: str = "") -> str:
    """Post the right password; return where the sign-in page sends the person."""
    data = {"username": email, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    with zeal_ignore():
        response = c.post(SIGNIN, data)
    assert response.status_code == 302
    return str(response["Location"])


def code_step(c: Client, code: str) -> str:
    with zeal_ignore():
        response = c.post(CODE_STEP, {"code": code})
    assert response.status_code in (200, 302)
    return str(response.get("Location", ""))


# Turning it on


def test_setup_shows_a_qr_code_and_the_key_and_a_wrong_code_leaves_it_off(
    world: World, clock: Clock
) -> None:
    user = world.employee.user
    c = world.client_for(world.employee)
    page = c.get(reverse("accounts:two-factor-setup"))
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    assert b"<svg" in page.content
    assert b"style=" not in page.content
    assert page.context["secret"].replace(" ", "") in device.config_url
    # Reloading keeps the same key (the person may be half-way through scanning it).
    assert c.get(reverse("accounts:two-factor-setup")).context["secret"] == page.context["secret"]

    response = c.post(reverse("accounts:two-factor-setup"), {"code": wrong_code(device, clock)})
    assert response.status_code == 200
    assert b"That code is not right" in response.content
    assert not two_factor_enabled(user=user)
    assert not RecoveryCode.objects.exists()


def test_setup_asks_for_six_digits(world: World, clock: Clock) -> None:
    c = world.client_for(world.employee)
    response = c.post(reverse("accounts:two-factor-setup"), {"code": "12ab"})
    assert b"Enter the 6 digits your app shows." in response.content
    assert not two_factor_enabled(user=world.employee.user)


def test_setup_with_a_right_code_turns_it_on_and_shows_ten_recovery_codes_once(
    world: World, clock: Clock
) -> None:
    user = world.employee.user
    c = world.client_for(world.employee)
    codes = set_up_through_the_pages(c, user, clock)

    assert two_factor_enabled(user=user)
    assert len(set(codes)) == 10
    # Stored as SHA-256 hashes only (django-otp's static tokens would keep them readable).
    stored = set(RecoveryCode.objects.values_list("code_hash", flat=True))
    assert stored == {hashlib.sha256(code.replace("-", "").encode()).hexdigest() for code in codes}
    # This session counts as signed in with a second factor; the codes are not shown again.
    assert DEVICE_ID_SESSION_KEY in session_of(c)
    status = c.get(reverse("accounts:two-factor"))
    assert b"You have 10 unused recovery codes." in status.content
    assert b"Confirm this session" not in status.content
    assert recovery_codes_in(status.content) == []
    assert c.get(reverse("accounts:two-factor-setup"))["Location"] == reverse("accounts:two-factor")


# Signing in


def test_signin_with_two_factor_asks_for_a_code_before_signing_in(
    world: World, clock: Clock
) -> None:
    user = world.employee.user
    device = confirmed_device(user)
    c = Client()
    assert password_step(c, "employee@acme.test") == CODE_STEP
    assert not signed_in(c)
    page = c.get(CODE_STEP)
    assert b"Enter the 6-digit code from your authenticator app" in page.content
    key_before = session_of(c)["key"]

    landing = code_step(c, app_code(device, clock))
    assert landing == reverse("home")
    assert signed_in(c)
    assert int(session_of(c)["_auth_user_id"]) == user.pk
    assert session_of(c)[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert session_of(c)["key"] != key_before  # login() rotated the session


def test_signin_with_a_code_goes_where_the_person_was_going(world: World, clock: Clock) -> None:
    device = confirmed_device(world.employee.user)
    c = Client()
    wanted = reverse("projects:list", args=["acme"])
    password_step(c, "employee@acme.test", next_url=wanted)
    assert code_step(c, app_code(device, clock)) == wanted


def test_signin_without_two_factor_still_signs_in_with_the_password(world: World) -> None:
    c = Client()
    assert password_step(c, "employee@acme.test") == reverse("home")
    assert signed_in(c)


def test_the_code_step_without_a_password_first_sends_to_sign_in(world: World) -> None:
    c = Client()
    assert c.get(CODE_STEP)["Location"] == SIGNIN
    assert c.post(CODE_STEP, {"code": "123456"})["Location"] == SIGNIN


def test_a_code_used_once_cannot_sign_in_again(world: World, clock: Clock) -> None:
    device = confirmed_device(world.employee.user)
    code = app_code(device, clock)
    first = Client()
    password_step(first, "employee@acme.test")
    code_step(first, code)
    assert signed_in(first)
    second = Client()
    password_step(second, "employee@acme.test")
    code_step(second, code)
    assert not signed_in(second)


def test_a_recovery_code_signs_in_once(world: World, clock: Clock) -> None:
    user = world.employee.user
    codes = set_up_through_the_pages(world.client_for(world.employee), user, clock)

    c = Client()
    password_step(c, "employee@acme.test")
    # Typed in capitals and without its hyphens: still the code.
    assert code_step(c, codes[3].replace("-", " ").upper()) == reverse("home")
    assert signed_in(c)
    assert session_of(c)[DEVICE_ID_SESSION_KEY].startswith("accounts.recoverycodedevice/")

    again = Client()
    password_step(again, "employee@acme.test")
    code_step(again, codes[3])
    assert not signed_in(again)
    status = Client()
    password_step(status, "employee@acme.test")
    code_step(status, codes[4])
    assert (
        b"You have 8 unused recovery codes." in status.get(reverse("accounts:two-factor")).content
    )


def test_wrong_codes_count_towards_the_sign_in_lock_out(
    world: World, clock: Clock, settings: Settings
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    device = confirmed_device(world.employee.user)
    c = Client()
    password_step(c, "employee@acme.test")
    for _ in range(2):
        with zeal_ignore():
            response = c.post(CODE_STEP, {"code": wrong_code(device, clock)})
        assert response.status_code == 200
        assert b"That code is not right" in response.content
    with zeal_ignore():
        response = c.post(CODE_STEP, {"code": wrong_code(device, clock)})
    assert response.status_code == 429
    assert AccessAttempt.objects.get(username="employee@acme.test").failures_since_start == 3
    # Locked out: even the right code does not sign in, nor does the password.
    with zeal_ignore():
        assert c.post(CODE_STEP, {"code": app_code(device, clock)}).status_code == 429
        assert (
            c.post(SIGNIN, {"username": "employee@acme.test", "password": PASSWORD}).status_code
            == 429
        )
    assert not signed_in(c)


def test_too_many_wrong_codes_drop_the_pending_sign_in(world: World, clock: Clock) -> None:
    device = confirmed_device(world.employee.user)
    c = Client()
    password_step(c, "employee@acme.test")
    for _ in range(MAX_CODE_FAILURES - 1):
        assert code_step(c, wrong_code(device, clock)) == ""
    assert code_step(c, wrong_code(device, clock)) == SIGNIN
    page = c.get(SIGNIN)
    assert b"Too many wrong codes. Sign in again." in page.content
    # The right code is too late now: the password comes first again.
    assert code_step(c, app_code(device, clock)) == SIGNIN
    assert not signed_in(c)


def test_the_code_step_expires_after_five_minutes(world: World, clock: Clock) -> None:
    device = confirmed_device(world.employee.user)
    c = Client()
    password_step(c, "employee@acme.test")
    clock.tick(PENDING_SECONDS + 1)
    assert code_step(c, app_code(device, clock)) == SIGNIN
    assert not signed_in(c)
    assert b"Sign-in took more than 5 minutes." in c.get(SIGNIN).content


def test_after_a_wrong_app_code_the_next_one_waits(
    world: World, clock: Clock, settings: Settings
) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    device = confirmed_device(world.employee.user)
    c = Client()
    password_step(c, "employee@acme.test")
    code_step(c, wrong_code(device, clock))
    with zeal_ignore():
        response = c.post(CODE_STEP, {"code": app_code(device, clock)})
    assert b"wait 1 second before the next one" in response.content
    assert not signed_in(c)


def test_a_session_signed_in_without_a_code_can_be_confirmed(world: World, clock: Clock) -> None:
    device = confirmed_device(world.employee.user)
    c = world.client_for(world.employee)
    assert b"Confirm this session" in c.get(reverse("accounts:two-factor")).content
    response = c.post(reverse("accounts:two-factor-verify"), {"code": wrong_code(device, clock)})
    assert b"That code is not right" in response.content
    assert DEVICE_ID_SESSION_KEY not in session_of(c)
    response = c.post(reverse("accounts:two-factor-verify"), {"code": app_code(device, clock)})
    assert response.status_code == 302
    assert session_of(c)[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_accepting_an_invitation_with_the_password_still_asks_for_the_code(
    world: World, clock: Clock
) -> None:
    # Olga, admin of another portal and with two-factor sign-in, is invited here as a client.
    device = confirmed_device(world.other_admin.user)
    membership = make_member(world.portal, "admin@other.test", "client")
    membership.status = MembershipStatus.INVITED
    membership.save()
    invitation = invitation_services.invitation_send(membership=membership, actor=world.admin.user)
    raw = token_in(deliver_link(invitation_services.LINK_KIND, invitation.pk))
    c = Client()
    with zeal_ignore():
        response = c.post(
            reverse("invitations:invitation-accept", args=[raw]), {"password": PASSWORD}
        )
    assert response["Location"] == CODE_STEP
    assert not signed_in(c)
    assert code_step(c, app_code(device, clock)) == reverse("projects:list", args=["acme"])
    assert signed_in(c)


# Turning it off, new recovery codes


def test_turning_off_needs_the_password_or_a_code(world: World, clock: Clock) -> None:
    user = world.employee.user
    c = world.client_for(world.employee)
    set_up_through_the_pages(c, user, clock)
    response = c.post(reverse("accounts:two-factor-disable"), {"secret": "not my password"})
    assert b"That is neither your password nor a current code." in response.content
    assert two_factor_enabled(user=user)

    response = c.post(reverse("accounts:two-factor-disable"), {"secret": PASSWORD})
    assert response["Location"] == reverse("accounts:two-factor")
    assert not two_factor_enabled(user=user)
    assert not RecoveryCode.objects.filter(device__user=user).exists()
    # Sign-in asks for the password only again.
    assert password_step(Client(), "employee@acme.test") == reverse("home")


def test_turning_off_with_a_code_from_the_app(world: World, clock: Clock) -> None:
    user = world.employee.user
    c = world.client_for(world.employee)
    set_up_through_the_pages(c, user, clock)
    device = TOTPDevice.objects.get(user=user)
    response = c.post(reverse("accounts:two-factor-disable"), {"secret": app_code(device, clock)})
    assert response.status_code == 302
    assert not two_factor_enabled(user=user)


def test_new_recovery_codes_replace_the_old_ones(world: World, clock: Clock) -> None:
    user = world.employee.user
    c = world.client_for(world.employee)
    old = set_up_through_the_pages(c, user, clock)
    assert b"password" in c.get(reverse("accounts:two-factor-recovery-codes")).content
    response = c.post(reverse("accounts:two-factor-recovery-codes"), {"secret": "wrong"})
    assert recovery_codes_in(response.content) == []
    with zeal_ignore():
        response = c.post(reverse("accounts:two-factor-recovery-codes"), {"secret": PASSWORD})
    new = recovery_codes_in(response.content)
    assert len(new) == 10
    assert not set(new) & set(old)

    stale = Client()
    password_step(stale, "employee@acme.test")
    code_step(stale, old[0])
    assert not signed_in(stale)
    fresh = Client()
    password_step(fresh, "employee@acme.test")
    code_step(fresh, new[0])
    assert signed_in(fresh)


def test_pages_without_two_factor_send_back_to_the_status_page(world: World) -> None:
    c = world.client_for(world.employee)
    status = c.get(reverse("accounts:two-factor"))
    assert b"Turn on two-factor sign-in" in status.content
    for name in ("two-factor-verify", "two-factor-recovery-codes", "two-factor-disable"):
        assert c.get(reverse(f"accounts:{name}"))["Location"] == reverse("accounts:two-factor")


# French


def test_two_factor_pages_speak_french(world: World, clock: Clock) -> None:
    user: User = world.employee.user
    user.language = "fr"
    user.save(update_fields=["language"])
    c = world.client_for(world.employee)
    assert (
        "Activer la double authentification"
        in c.get(reverse("accounts:two-factor")).content.decode()
    )
    setup = c.get(reverse("accounts:two-factor-setup")).content.decode()
    assert "Code de votre application" in setup
    codes = set_up_through_the_pages(c, user, clock)
    assert codes

    anonymous = Client(headers={"accept-language": "fr"})
    password_step(anonymous, "employee@acme.test")
    page = anonymous.get(CODE_STEP).content.decode()
    assert "Saisissez le code à 6 chiffres" in page


def test_the_django_admin_signs_in_through_the_code_step(world: World, clock: Clock) -> None:
    root = User.objects.create_superuser("root@example.test", PASSWORD)
    device = confirmed_device(root)
    c = Client()
    to_admin = c.get(reverse("admin:index"), follow=True)
    assert to_admin.redirect_chain[-1][0].startswith(SIGNIN)
    assert password_step(c, "root@example.test", next_url=reverse("admin:index")) == CODE_STEP
    assert not signed_in(c)
    assert code_step(c, app_code(device, clock)) == reverse("admin:index")
    with zeal_ignore():
        assert c.get(reverse("admin:index")).status_code == 200
