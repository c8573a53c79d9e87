from __future__ import annotations

from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from tests.conftest import PASSWORD, World


def test_signin_page_renders(client: Client, db: None) -> None:
    response = client.get(reverse("accounts:signin"))
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


def test_signin_with_any_case_of_the_email_lands_in_the_only_portal(
    client: Client, world: World
) -> None:
    response = client.post(
        reverse("accounts:signin"),
        {"username": "EMPLOYEE@acme.test", "password": PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("projects:list", args=["acme"])


def test_signin_with_a_wrong_password_says_so_and_signs_nobody_in(
    client: Client, world: World
) -> None:
    response = client.post(
        reverse("accounts:signin"), {"username": "employee@acme.test", "password": "wrong"}
    )
    assert response.status_code == 200
    assert b"do not match an account" in response.content
    assert "_auth_user_id" not in client.session


def test_signin_locks_out_after_too_many_failures(
    client: Client, world: World, settings: Settings
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post(
            reverse("accounts:signin"), {"username": "employee@acme.test", "password": "wrong"}
        )
    response = client.post(
        reverse("accounts:signin"), {"username": "employee@acme.test", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert b"Too many attempts" in response.content
    assert "_auth_user_id" not in client.session


def test_signout_is_post_only_and_ends_the_session(world: World) -> None:
    c = world.client_for(world.admin)
    assert c.get(reverse("accounts:signout")).status_code == 405
    response = c.post(reverse("accounts:signout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in c.session


def test_home_sends_a_person_of_several_portals_to_the_picker(world: World) -> None:
    from portail.portals.models import Membership, MembershipKind, StaffRole

    Membership.objects.create(
        user=world.admin.user,
        portal=world.other_portal,
        kind=MembershipKind.STAFF,
        role=StaffRole.EMPLOYEE,
    )
    c = world.client_for(world.admin)
    response = c.get(reverse("home"))
    assert response["Location"] == reverse("portal-picker")
    page = c.get(reverse("portal-picker"))
    assert b"Acme Studio" in page.content
    assert b"Other Agency" in page.content
    # Once a portal was used, home goes back to it.
    c.get(reverse("projects:list", args=["other"]))
    assert c.get(reverse("home"))["Location"] == reverse("portals:dashboard", args=["other"])


def test_anonymous_visitor_of_a_portal_is_asked_to_sign_in(client: Client, world: World) -> None:
    response = client.get(reverse("projects:list", args=["acme"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:signin"))


def test_person_without_membership_gets_404_for_a_portal(world: World) -> None:
    c = world.client_for(world.other_admin)
    assert c.get(reverse("projects:list", args=["acme"])).status_code == 404
    assert c.get(reverse("portals:dashboard", args=["acme"])).status_code == 404


def test_deactivated_member_gets_404(world: World) -> None:
    world.employee.status = "deactivated"
    world.employee.save()
    c = world.client_for(world.employee)
    assert c.get(reverse("projects:list", args=["acme"])).status_code == 404


def test_preferences_change_the_language_of_the_pages(world: World) -> None:
    c = world.client_for(world.admin)
    response = c.post(
        reverse("accounts:preferences"), {"full_name": "Ada Lovelace", "language": "fr"}
    )
    assert response.status_code == 302
    world.admin.user.refresh_from_db()
    assert world.admin.user.full_name == "Ada Lovelace"
    assert world.admin.user.language == "fr"
    page = c.get(reverse("accounts:preferences"))
    assert page.headers["Content-Language"] == "fr"


def test_preferences_refuse_an_unknown_language(world: World) -> None:
    c = world.client_for(world.admin)
    response = c.post(reverse("accounts:preferences"), {"full_name": "Ada", "language": "de"})
    assert response.status_code == 200
    assert response.context["form"].errors["language"]
    world.admin.user.refresh_from_db()
    assert world.admin.user.language == "en"


def test_change_password_keeps_the_person_signed_in(world: World) -> None:
    c = world.client_for(world.admin)
    response = c.post(
        reverse("accounts:password-change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a brand new passphrase",
            "new_password2": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    world.admin.user.refresh_from_db()
    assert world.admin.user.check_password("a brand new passphrase")
    assert c.get(reverse("accounts:preferences")).status_code == 200


def test_change_password_refuses_a_wrong_old_password(world: World) -> None:
    c = world.client_for(world.admin)
    response = c.post(
        reverse("accounts:password-change"),
        {
            "old_password": "not it",
            "new_password1": "a brand new passphrase",
            "new_password2": "a brand new passphrase",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["old_password"]


def test_lockout_counts_every_case_of_an_address_as_one_person(
    client: Client, world: World, settings: Settings
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    for variant in ("employee@acme.test", "Employee@acme.test", "EMPLOYEE@ACME.test"):
        client.post(reverse("accounts:signin"), {"username": variant, "password": "wrong"})
    response = client.post(
        reverse("accounts:signin"), {"username": "eMployee@acme.test", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_behind_a_trusted_proxy_the_lockout_is_per_client_address(
    world: World, settings: Settings
) -> None:
    """Behind a reverse proxy, one attacker cannot lock the person out everywhere."""
    settings.AXES_FAILURE_LIMIT = 3
    settings.TRUSTED_PROXY_COUNT = 1
    attacker, person = Client(), Client()
    for _ in range(3):
        attacker.post(
            reverse("accounts:signin"),
            {"username": "employee@acme.test", "password": "wrong"},
            HTTP_X_FORWARDED_FOR="203.0.113.9",
        )
    blocked = attacker.post(
        reverse("accounts:signin"),
        {"username": "employee@acme.test", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert blocked.status_code == 429
    # A client cannot pick its address: only the entry our proxy appended counts.
    spoofed = attacker.post(
        reverse("accounts:signin"),
        {"username": "employee@acme.test", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9",
    )
    assert spoofed.status_code == 429
    welcome = person.post(
        reverse("accounts:signin"),
        {"username": "employee@acme.test", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert welcome.status_code == 302
