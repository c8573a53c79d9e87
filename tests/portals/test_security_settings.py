"""The portal's Security page (admins only) and what requiring two-factor sign-in of staff does."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from zeal import zeal_ignore

from portail.audit.models import AuditEvent
from portail.portals.models import Membership, Portal
from tests.conftest import World
from tests.two_factor import (
    Clock,
    app_code,
    confirmed_device,
    install_clock,
    set_up_through_the_pages,
)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


def security_url(portal: Portal) -> str:
    return reverse("portal-settings:security", args=[portal.slug])


def verified_client(world: World, membership: Membership, clock: Clock) -> Client:
    """Signed in, and the session confirmed with a code from the person's app."""
    device = confirmed_device(membership.user)
    c = world.client_for(membership)
    with zeal_ignore():
        response = c.post(reverse("accounts:two-factor-verify"), {"code": app_code(device, clock)})
    assert response.status_code == 302
    return c


def require_two_factor(portal: Portal) -> None:
    Portal.objects.filter(pk=portal.pk).update(require_staff_two_factor=True)


def test_only_the_portals_admins_open_the_security_page(world: World) -> None:
    url = security_url(world.portal)
    statuses = [
        world.client_for(m).get(url).status_code
        for m in (world.admin, world.manager, world.employee, world.client, world.other_admin)
    ]
    assert statuses == [200, 403, 403, 403, 404]
    posted = [
        world.client_for(m).post(url, {"require_staff_two_factor": "on"}).status_code
        for m in (world.manager, world.employee, world.client, world.other_admin)
    ]
    assert posted == [403, 403, 403, 404]
    world.portal.refresh_from_db()
    assert not world.portal.require_staff_two_factor


def test_an_admin_signed_in_with_a_code_requires_two_factor_and_it_is_audited(
    world: World, clock: Clock
) -> None:
    c = verified_client(world, world.admin, clock)
    url = security_url(world.portal)
    response = c.post(url, {"require_staff_two_factor": "on"})
    assert response["Location"] == url
    world.portal.refresh_from_db()
    assert world.portal.require_staff_two_factor
    event = AuditEvent.objects.get(portal=world.portal, action="portal.security_updated")
    assert event.actor == world.admin.user
    assert event.before == {"require_staff_two_factor": False}
    assert event.after == {"require_staff_two_factor": True}
    assert b"checked" in c.get(url).content

    # Turning it off again is audited too; saving without a change records nothing.
    c.post(url, {})
    c.post(url, {})
    world.portal.refresh_from_db()
    assert not world.portal.require_staff_two_factor
    assert AuditEvent.objects.filter(action="portal.security_updated").count() == 2


def test_an_admin_without_a_code_in_this_session_cannot_require_it_yet(world: World) -> None:
    c = world.client_for(world.admin)
    response = c.post(security_url(world.portal), {"require_staff_two_factor": "on"})
    assert response.status_code == 200
    assert b"Sign in with two-factor sign-in yourself first" in response.content
    world.portal.refresh_from_db()
    assert not world.portal.require_staff_two_factor
    assert not AuditEvent.objects.filter(action="portal.security_updated").exists()


def test_required_two_factor_sends_staff_without_it_to_set_it_up(
    world: World, clock: Clock
) -> None:
    require_two_factor(world.portal)
    c = world.client_for(world.employee)
    projects = reverse("projects:list", args=["acme"])
    response = c.get(projects)
    assert response["Location"] == reverse("accounts:two-factor")
    page = c.get(reverse("accounts:two-factor"))
    assert b"Acme Studio requires two-factor sign-in for its staff" in page.content
    # The way out stays open: the account's pages and signing out.
    assert c.get(reverse("accounts:preferences")).status_code == 200

    set_up_through_the_pages(c, world.employee.user, clock)
    assert c.get(projects).status_code == 200


def test_required_two_factor_asks_staff_who_have_it_to_confirm_the_session(
    world: World, clock: Clock
) -> None:
    require_two_factor(world.portal)
    confirmed_device(world.manager.user)
    c = world.client_for(world.manager)  # signed in without a code
    assert c.get(reverse("projects:list", args=["acme"]))["Location"] == reverse(
        "accounts:two-factor"
    )
    assert b"Confirm this session with a code" in c.get(reverse("accounts:two-factor")).content
    device = TOTPDevice.objects.get(user=world.manager.user)
    with zeal_ignore():
        c.post(reverse("accounts:two-factor-verify"), {"code": app_code(device, clock)})
    assert c.get(reverse("projects:list", args=["acme"])).status_code == 200


def test_client_users_are_not_asked_for_two_factor(world: World) -> None:
    require_two_factor(world.portal)
    c = world.client_for(world.client)
    assert c.get(reverse("projects:list", args=["acme"])).status_code == 200


def test_the_requirement_is_the_portals_own(world: World) -> None:
    require_two_factor(world.portal)
    c = world.client_for(world.other_admin)
    assert c.get(reverse("projects:list", args=["other"])).status_code == 200
    assert c.post(reverse("accounts:signout")).status_code == 302


def test_security_page_speaks_french(world: World) -> None:
    user = world.admin.user
    user.language = "fr"
    user.save(update_fields=["language"])
    page = world.client_for(world.admin).get(security_url(world.portal)).content.decode()
    assert "Exiger la double authentification pour l’équipe" in page
    assert "Sécurité" in page
