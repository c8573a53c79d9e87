"""The sign-in lock-out policy (portail.accounts.lockout.LockoutHandler), through the pages."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from portail.audit.models import AuditEvent
from portail.portals.models import Membership
from tests.conftest import PASSWORD, World

OFFICE = "203.0.113.10"
HOME = "198.51.100.7"
ELSEWHERE = "192.0.2.99"


@pytest.fixture(autouse=True)
def _small_limits(settings: Settings) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    settings.LOCKOUT_ADDRESS_FAILURE_LIMIT = 6
    settings.LOCKOUT_ACCOUNT_FAILURE_LIMIT = 5


def sign_in(email: str, password: str, address: str) -> int:
    """A fresh browser at `address` signs in; the answer's status (302 signed in)."""
    response = Client(REMOTE_ADDR=address).post(
        reverse("accounts:signin"), {"username": email, "password": password}
    )
    return response.status_code


def fail(email: str, address: str, times: int) -> None:
    for _ in range(times):
        assert sign_in(email, "wrong password", address) in (200, 429)


def test_lockout_one_persons_typos_lock_only_that_person_at_a_shared_office_address(
    world: World,
) -> None:
    fail("employee@acme.test", OFFICE, 3)
    assert sign_in("employee@acme.test", PASSWORD, OFFICE) == 429
    # A colleague behind the same office address signs in as usual.
    assert sign_in("manager@acme.test", PASSWORD, OFFICE) == 302
    # The locked person still can from another address.
    assert sign_in("employee@acme.test", PASSWORD, HOME) == 302


def test_lockout_one_address_trying_many_accounts_is_stopped_only_at_the_address_limit(
    world: World,
) -> None:
    for n in range(5):  # five different guessed accounts, one failure each
        fail(f"guess{n}@acme.test", OFFICE, 1)
    assert sign_in("manager@acme.test", PASSWORD, OFFICE) == 302
    fail("guess5@acme.test", OFFICE, 1)  # the sixth failure from the office
    assert sign_in("admin@acme.test", PASSWORD, OFFICE) == 429
    assert sign_in("admin@acme.test", PASSWORD, HOME) == 302


def test_lockout_an_account_guessed_from_many_addresses_stays_open_where_its_owner_signs_in(
    world: World,
) -> None:
    assert sign_in("employee@acme.test", PASSWORD, OFFICE) == 302  # the owner's usual place
    for n in range(5):  # a botnet: one failure from each of five addresses
        fail("employee@acme.test", f"192.0.2.{n + 1}", 1)
    assert sign_in("employee@acme.test", PASSWORD, ELSEWHERE) == 429
    assert sign_in("employee@acme.test", PASSWORD, OFFICE) == 302


def test_lockout_answer_is_the_same_whether_or_not_the_account_exists(world: World) -> None:
    fail("employee@acme.test", OFFICE, 3)
    fail("nobody@acme.test", OFFICE, 3)
    real = Client(REMOTE_ADDR=OFFICE).post(
        reverse("accounts:signin"), {"username": "employee@acme.test", "password": "x"}
    )
    unknown = Client(REMOTE_ADDR=OFFICE).post(
        reverse("accounts:signin"), {"username": "nobody@acme.test", "password": "x"}
    )
    assert real.status_code == unknown.status_code == 429
    assert b"employee@acme.test" not in real.content
    assert without_csrf_token(real.content) == without_csrf_token(unknown.content)


def without_csrf_token(content: bytes) -> bytes:
    return re.sub(rb'"X-CSRFToken": "[^"]*"', b"", content)


def test_lockout_a_success_forgets_only_that_persons_failures_from_that_address(
    world: World,
) -> None:
    fail("employee@acme.test", OFFICE, 2)
    fail("guess@acme.test", OFFICE, 2)
    assert sign_in("employee@acme.test", PASSWORD, OFFICE) == 302  # forgets their 2
    fail("other-guess@acme.test", OFFICE, 3)
    # 2 + 3 from the office: below the address limit only because the 2 were forgotten.
    assert sign_in("manager@acme.test", PASSWORD, OFFICE) == 302
    fail("third-guess@acme.test", OFFICE, 1)
    # The guessed accounts' failures were kept: 2 + 3 + 1 is the address limit.
    assert sign_in("manager@acme.test", PASSWORD, OFFICE) == 429


# Unlocking: a portal admin, for the people of their portal ----------------------------------


def locked_out_page(slug: str = "acme") -> str:
    return reverse("lockout:people", kwargs={"portal_slug": slug})


def unlock_url(membership: Membership, slug: str = "acme") -> str:
    return reverse("lockout:unlock", kwargs={"portal_slug": slug, "membership_id": membership.pk})


def test_an_admin_sees_who_of_their_portal_is_locked_out_and_unlocks_them(world: World) -> None:
    fail("employee@acme.test", OFFICE, 3)
    fail("admin@other.test", OFFICE, 3)  # another portal's person: not listed here
    fail("manager@acme.test", OFFICE, 1)  # one typo: not locked out
    admin = world.client_for(world.admin)
    page = admin.get(locked_out_page())
    assert [m.user.email for m in page.context["members"]] == ["employee@acme.test"]
    assert unlock_url(world.employee) in page.content.decode()

    response = admin.post(unlock_url(world.employee), follow=True)
    assert "Emma Employee can sign in again." in response.content.decode()
    assert list(response.context["members"]) == []
    assert sign_in("employee@acme.test", PASSWORD, OFFICE) == 302
    assert sign_in("admin@other.test", PASSWORD, OFFICE) == 429
    event = AuditEvent.objects.get(action="member.signin_unlocked")
    assert event.actor == world.admin.user
    assert event.target_id == str(world.employee.pk)
    assert event.before == {"signin_failures": 3}


def test_unlocking_clears_an_account_locked_from_many_addresses(world: World) -> None:
    for n in range(5):
        fail("employee@acme.test", f"192.0.2.{n + 1}", 1)
    admin = world.client_for(world.admin)
    assert [m.pk for m in admin.get(locked_out_page()).context["members"]] == [world.employee.pk]
    admin.post(unlock_url(world.employee))
    assert sign_in("employee@acme.test", PASSWORD, ELSEWHERE) == 302


def test_unlocking_someone_not_locked_out_says_so_and_records_nothing(world: World) -> None:
    admin = world.client_for(world.admin)
    response = admin.post(unlock_url(world.employee), follow=True)
    assert "Emma Employee was not locked out." in response.content.decode()
    assert not AuditEvent.objects.filter(action="member.signin_unlocked").exists()


def test_only_the_portals_admins_may_unlock(world: World) -> None:
    fail("employee@acme.test", OFFICE, 3)
    manager = world.client_for(world.manager)
    assert manager.get(locked_out_page()).status_code == 403
    assert manager.post(unlock_url(world.employee)).status_code == 403
    assert sign_in("employee@acme.test", PASSWORD, OFFICE) == 429


def test_another_portals_person_cannot_be_unlocked_from_here(world: World) -> None:
    fail("admin@other.test", OFFICE, 3)
    admin = world.client_for(world.admin)
    assert admin.post(unlock_url(world.other_admin)).status_code == 404
    other = world.client_for(world.other_admin)
    assert other.post(unlock_url(world.employee)).status_code == 404
    assert sign_in("admin@other.test", PASSWORD, OFFICE) == 429


def test_the_unlock_button_is_post_only(world: World) -> None:
    fail("employee@acme.test", OFFICE, 3)
    admin = world.client_for(world.admin)
    assert admin.get(unlock_url(world.employee)).status_code == 405
    assert sign_in("employee@acme.test", PASSWORD, OFFICE) == 429


def test_a_superuser_unlocks_with_the_axes_reset_username_command(world: World) -> None:
    fail("employee@acme.test", OFFICE, 3)
    call_command("axes_reset_username", "employee@acme.test", stdout=io.StringIO())
    assert sign_in("employee@acme.test", PASSWORD, OFFICE) == 302
