"""Invitation pages: the public acceptance page (CU4, CU8) and an admin's buttons (CU3, CU10)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings
from zeal import zeal_ignore

from portail.accounts.models import User
from portail.clients import invitation_selectors, invitation_services
from portail.clients.models import Invitation
from portail.notifications.models import OutboundEmail
from portail.portals.models import Membership, MembershipStatus
from tests.conftest import PASSWORD, World, make_member
from tests.outbox import deliver_link, token_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a fresh passphrase 42"


def invited(world: World, email: str = "nina@bowman.test", *, new: bool = True) -> Membership:
    membership = make_member(world.portal, email, "client", "Nina Bowman")
    membership.status = MembershipStatus.INVITED
    membership.save()
    if new:
        membership.user.set_unusable_password()
        membership.user.save()
    return membership


def send(world: World, membership: Membership) -> str:
    """Invite, and send the email as the worker would: the raw token, from the sent message."""
    invitation = invitation_services.invitation_send(membership=membership, actor=world.admin.user)
    return token_in(deliver_link(invitation_services.LINK_KIND, invitation.pk))


def link(raw: str) -> str:
    return reverse("invitations:invitation-accept", args=[raw])


def admin_url(name: str, membership: Membership | int, slug: str = "acme") -> str:
    pk = membership if isinstance(membership, int) else membership.pk
    return reverse(
        f"invitation-admin:invitation-{name}", kwargs={"portal_slug": slug, "membership_id": pk}
    )


def users_url() -> str:
    return reverse("clients:users", kwargs={"portal_slug": "acme"})


def projects_url() -> str:
    return reverse("projects:list", kwargs={"portal_slug": "acme"})


def new_person(**overrides: str) -> dict[str, str]:
    return {
        "full_name": "Nina Bowman",
        "password": NEW_PASSWORD,
        "password_again": NEW_PASSWORD,
        **overrides,
    }


def state() -> list[Any]:
    rows: list[Any] = list(Invitation.objects.order_by("pk").values())
    rows += list(Membership.objects.order_by("pk").values("pk", "status", "activated_at"))
    rows += list(User.objects.order_by("pk").values("pk", "password", "last_login"))
    return rows


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def signed_in_as(client: Client) -> str | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id).email if user_id else None


# The acceptance page: someone new --------------------------------------------------------


def test_cu4_get_changes_nothing(client: Client, world: World) -> None:
    raw = send(world, invited(world))
    before = state()
    for _ in range(3):  # mail scanners open links
        response = client.get(link(raw))
        assert response.status_code == 200
    assert state() == before
    page = response.content.decode()
    assert "Join Acme Studio" in page
    assert "Ada Admin invited you to Acme Studio, for Bowman Test Co." in page
    assert 'name="password_again"' in page
    assert signed_in_as(client) is None


def test_cu4_someone_new_sets_name_and_password_lands_on_projects_signed_in(
    client: Client, world: World
) -> None:
    membership = invited(world)
    raw = send(world, membership)

    response = client.post(link(raw), new_person(full_name=" Nina B. "))

    assert response.status_code == 302
    assert response["Location"] == projects_url()
    assert signed_in_as(client) == "nina@bowman.test"
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE
    user = User.objects.get(email="nina@bowman.test")
    assert (user.full_name, user.check_password(NEW_PASSWORD)) == ("Nina B.", True)
    with zeal_ignore():  # reading the new session twice is not an N+1
        assert client.get(projects_url()).status_code == 200


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (new_person(password="123", password_again="123"), "password"),
        (new_person(password_again="something else 9"), "password_again"),
        (new_person(full_name=""), "full_name"),
    ],
)
def test_cu4_a_bad_form_names_the_field_and_spends_nothing(
    client: Client, world: World, data: dict[str, str], field: str
) -> None:
    raw = send(world, invited(world))
    before = state()
    response = client.post(link(raw), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert state() == before


def test_cu4_link_works_once(client: Client, world: World) -> None:
    raw = send(world, invited(world))
    assert client.post(link(raw), new_person()).status_code == 302
    other = Client()
    again = other.post(link(raw), new_person(password="another pass 77", password_again="x"))
    assert again.status_code == 410
    assert "This invitation link has already been used" in again.content.decode()
    assert other.get(link(raw)).status_code == 410


# The acceptance page: someone with an account (CU8) ------------------------------------------


def test_cu8_existing_account_signs_in_instead_of_creating_a_person(
    client: Client, world: World
) -> None:
    # Olga, admin of another portal, is invited here as a client.
    membership = make_member(world.portal, "admin@other.test", "client")
    membership.status = MembershipStatus.INVITED
    membership.save()
    raw = send(world, membership)
    people = User.objects.count()

    page = client.get(link(raw))
    assert page.status_code == 200
    assert page.context["mode"] == "signin"
    assert 'value="admin@other.test" readonly' in page.content.decode()

    wrong = client.post(link(raw), {"password": "not it"})
    assert wrong.status_code == 200
    assert wrong.context["form"].errors["password"]
    assert Invitation.objects.get().accepted_at is None

    right = client.post(link(raw), {"password": PASSWORD})
    assert right["Location"] == projects_url()
    assert signed_in_as(client) == "admin@other.test"
    assert User.objects.count() == people
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE


def test_cu8_signing_in_on_the_page_counts_towards_the_lock_out(
    client: Client, world: World, settings: Settings
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    raw = send(world, invited(world, "admin@other.test", new=False))
    for _ in range(3):
        client.post(link(raw), {"password": "wrong"})
    response = client.post(link(raw), {"password": PASSWORD})
    assert response.status_code == 429
    assert signed_in_as(client) is None
    assert Invitation.objects.get().accepted_at is None


def test_cu8_signed_in_as_the_invitee_joins_with_one_button(world: World) -> None:
    membership = make_member(world.portal, "admin@other.test", "client")
    membership.status = MembershipStatus.INVITED
    membership.save()
    raw = send(world, membership)
    olga = world.client_for(world.other_admin)

    page = olga.get(link(raw))
    assert page.context["mode"] == "join"
    assert Invitation.objects.get().accepted_at is None

    response = olga.post(link(raw))
    assert response["Location"] == projects_url()
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE


def test_signed_in_as_somebody_else_is_told_and_offered_to_sign_out(world: World) -> None:
    raw = send(world, invited(world))
    someone = world.client_for(world.employee)
    before = state()

    for method in (someone.get, someone.post):
        response = method(link(raw))
        assert response.status_code == 403
        page = response.content.decode()
        assert "This invitation is for someone else" in page
        assert "employee@acme.test" in page
        assert reverse("accounts:signout") in page
    assert state() == before
    assert signed_in_as(someone) == "employee@acme.test"
    # Signing out from there comes back to the link.
    out = someone.post(reverse("accounts:signout"), {"next": link(raw)})
    assert out["Location"] == link(raw)
    assert someone.get(link(raw)).context["mode"] == "new"


# The acceptance page: links that no longer work ----------------------------------------------


def test_cu4_link_expires_after_7_days(client: Client, world: World) -> None:
    raw = send(world, invited(world))
    Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    for response in (client.get(link(raw)), client.post(link(raw), new_person())):
        assert response.status_code == 410
        page = response.content.decode()
        assert "This invitation link has expired" in page
        assert "ask Ada Admin at Acme Studio to invite you again" in page
        assert "nina@bowman.test" not in page  # never tells which address it was for
    assert Invitation.objects.get().accepted_at is None


def test_cu4_new_invitation_invalidates_previous_link(client: Client, world: World) -> None:
    membership = invited(world)
    first = send(world, membership)
    Invitation.objects.update(created_at=timezone.now() - dt.timedelta(days=1))
    second = send(world, membership)
    response = client.get(link(first))
    assert response.status_code == 410
    assert "replaced by a newer invitation" in response.content.decode()
    assert client.get(link(second)).status_code == 200


def test_cu10_revoked_link_behaves_like_expired(client: Client, world: World) -> None:
    membership = invited(world)
    raw = send(world, membership)
    invitation_services.invitation_revoke(membership=membership, actor=world.admin.user)
    response = client.post(link(raw), new_person())
    assert response.status_code == 410
    assert "This invitation was withdrawn" in response.content.decode()
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.INVITED


def test_an_unknown_link_is_404_and_says_so(client: Client, world: World) -> None:
    response = client.get(link("not-a-real-token"))
    assert response.status_code == 404
    assert "This invitation link does not work" in response.content.decode()


# An admin's buttons: re-invite and revoke (CU3, CU10) -------------------------------------


def test_cu3_admin_reinvite_refused_within_24_hours_with_the_time_left(world: World) -> None:
    membership = invited(world)
    send(world, membership)
    admin = world.client_for(world.admin)

    response = admin.post(admin_url("resend", membership), {"next": users_url() + "?page=2"})

    assert response["Location"] == users_url() + "?page=2"
    assert messages_of(response) == ["You can invite Nina Bowman again in 24 hours."]
    assert Invitation.objects.count() == 1


def test_cu3_admin_reinvites_after_24_hours(world: World) -> None:
    membership = invited(world)
    first = send(world, membership)
    Invitation.objects.update(created_at=timezone.now() - dt.timedelta(hours=24, seconds=1))
    admin = world.client_for(world.admin)

    response = admin.post(admin_url("resend", membership))

    assert response["Location"] == users_url()
    assert "A new invitation is on its way to nina@bowman.test" in messages_of(response)[0]
    assert OutboundEmail.objects.filter(kind="client_reinvitation").count() == 1
    assert Client().get(link(first)).status_code == 410


def test_cu3_reinvite_of_an_active_user_is_refused_with_a_message(world: World) -> None:
    response = world.client_for(world.admin).post(admin_url("resend", world.client))
    assert response.status_code == 302
    assert messages_of(response) == ["Paul Bowman has already joined Acme Studio."]
    assert Invitation.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def test_cu10_admin_revokes_a_pending_invitation(world: World) -> None:
    membership = invited(world)
    raw = send(world, membership)
    admin = world.client_for(world.admin)

    response = admin.post(admin_url("revoke", membership))

    assert response["Location"] == users_url()
    assert "no longer works" in messages_of(response)[0]
    assert Client().get(link(raw)).status_code == 410
    again = admin.post(admin_url("revoke", membership))
    assert messages_of(again)[-1] == "nina@bowman.test has no pending invitation to withdraw."


def test_it_ignores_a_next_that_leaves_the_site(world: World) -> None:
    membership = invited(world)
    send(world, membership)
    response = world.client_for(world.admin).post(
        admin_url("revoke", membership), {"next": "https://evil.test/"}
    )
    assert response["Location"] == users_url()


def test_it_refuses_other_portal_and_staff_membership_ids(world: World) -> None:
    stranger = make_member(world.other_portal, "someone@other.test", "client")
    stranger.status = MembershipStatus.INVITED
    stranger.save()
    admin = world.client_for(world.admin)
    for target in (stranger, world.employee, 999_999):
        for name in ("resend", "revoke"):
            assert admin.post(admin_url(name, target)).status_code == 404
    assert Invitation.objects.count() == 0


@pytest.mark.parametrize("persona", ["manager", "employee", "client"])
def test_it_refuses_non_admins(world: World, persona: str) -> None:
    membership = invited(world)
    raw = send(world, membership)
    person = world.client_for(getattr(world, persona))
    for name in ("resend", "revoke"):
        assert person.post(admin_url(name, membership)).status_code == 403
    assert invitation_selectors.invitation_for_token(raw_token=raw).usable
    assert Invitation.objects.count() == 1


def test_the_buttons_are_post_only(world: World) -> None:
    membership = invited(world)
    admin = world.client_for(world.admin)
    for name in ("resend", "revoke"):
        assert admin.get(admin_url(name, membership)).status_code == 405
