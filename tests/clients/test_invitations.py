"""Invitations of client users, through the services (RULES CU2-CU4, CU7, CU8, CU10)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection, transaction
from pytest_django import DjangoAssertNumQueries

from portail.accounts.models import User
from portail.audit.models import AuditEvent
from portail.clients import invitation_selectors, invitation_services
from portail.clients.invitation_selectors import LinkStatus
from portail.clients.invitation_services import InvitationUnusable
from portail.clients.models import Invitation
from portail.notifications.links import LINK_PLACEHOLDER
from portail.notifications.models import EmailStatus, OutboundEmail
from portail.portals.models import Membership, MembershipStatus
from tests.conftest import PASSWORD, World, make_member
from tests.outbox import deliver_link, html_of, link_in, token_in

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
NEW_PASSWORD = "a fresh passphrase 42"


def invited(world: World, email: str = "nina@bowman.test", name: str = "Nina Bowman") -> Membership:
    """A client user just added by an admin: invited, and new (no usable password)."""
    membership = make_member(world.portal, email, "client", name)
    membership.status = MembershipStatus.INVITED
    membership.save()
    membership.user.set_unusable_password()
    membership.user.save()
    return membership


def send(world: World, membership: Membership, now: dt.datetime = T0) -> str:
    """Invite, and send the email as the worker would: the raw token, from the sent message."""
    invitation = invitation_services.invitation_send(
        membership=membership, actor=world.admin.user, now=now
    )
    return token_in(deliver_link(invitation_services.LINK_KIND, invitation.pk, now=now))


def accept_new(raw: str, now: dt.datetime = T0 + dt.timedelta(hours=1)) -> Membership:
    return invitation_services.invitation_accept(
        raw_token=raw, full_name=" Nina Bowman ", password=NEW_PASSWORD, now=now
    )


def status_of(raw: str, now: dt.datetime = T0 + dt.timedelta(hours=1)) -> LinkStatus:
    return invitation_selectors.invitation_for_token(raw_token=raw, now=now).status


def refusal(error: ValidationError) -> str:
    return " ".join(error.message_dict[NON_FIELD_ERRORS])


def snapshot() -> list[Any]:
    rows: list[Any] = list(Invitation.objects.order_by("pk").values())
    rows += list(Membership.objects.order_by("pk").values("pk", "status", "activated_at"))
    rows += list(User.objects.order_by("pk").values("pk", "password", "full_name"))
    return rows


# CU2: the invitation email -----------------------------------------------------------------


def test_cu2_sending_writes_the_invitation_email_with_the_link(world: World) -> None:
    world.portal.time_zone = "Europe/Paris"
    world.portal.save()
    membership = invited(world)

    invitation = invitation_services.invitation_send(
        membership=membership, actor=world.admin.user, now=T0
    )

    email = OutboundEmail.objects.get()
    assert (email.kind, email.to, email.language) == ("client_invitation", "nina@bowman.test", "en")
    assert email.portal == world.portal
    # The stored email has a place for the link, not the link (made when sending).
    assert (email.link_kind, email.link_ref) == ("invitation", invitation.pk)
    assert LINK_PLACEHOLDER in email.body_text
    assert f'href="{LINK_PLACEHOLDER}"' in email.body_html
    message = deliver_link("invitation", invitation.pk, now=T0)
    raw = token_in(message)
    link = re.search(rf"https?://\S+/invitations/{re.escape(raw)}/", str(message.body))
    assert link is not None
    assert message.to == ["nina@bowman.test"]
    assert message.subject == email.subject == "Ada Admin invited you to Acme Studio"
    assert "Hello Nina Bowman," in message.body
    assert "Ada Admin invited you to join Acme Studio on Portail, for Bowman Test Co." in (
        message.body
    )
    # 7 days, shown in the portal's time zone.
    assert "expires on Dec. 8, 2026, 11 a.m. (Europe/Paris)" in message.body
    # Both parts carry the link; the HTML one as a button.
    html = html_of(message)
    assert f'href="{link.group(0)}"' in html
    assert "Ada Admin invited you to join Acme Studio on Portail" in html
    assert '<html lang="en">' in html
    assert LINK_PLACEHOLDER not in message.body + html


def test_cu2_the_invitation_is_in_the_invitees_language(world: World) -> None:
    membership = invited(world)
    membership.user.language = "fr"
    membership.user.save()

    send(world, membership)

    email = OutboundEmail.objects.get()
    assert email.language == "fr"
    assert email.body_text.startswith("Bonjour Nina Bowman,")
    assert "8 décembre 2026" in email.body_text
    assert '<html lang="fr">' in email.body_html
    assert "Si le bouton ne fonctionne pas" in email.body_html


def test_cu2_the_text_parts_are_plain_and_the_html_part_escapes(world: World) -> None:
    world.portal.name = "O'Neil & Sons"
    world.portal.save()
    membership = invited(world, name="Zoé <b>")

    invitation_services.invitation_send(membership=membership, actor=None, now=T0)

    email = OutboundEmail.objects.get()
    assert email.subject == "You are invited to O'Neil & Sons"
    assert "Hello Zoé <b>," in email.body_text
    assert "join O'Neil & Sons on Portail" in email.body_text
    assert "Hello Zoé &lt;b&gt;," in email.body_html
    assert "join O&#x27;Neil &amp; Sons on Portail" in email.body_html


def test_cu2_invitation_is_audited_and_records_the_inviter(world: World) -> None:
    membership = invited(world)
    invitation = invitation_services.invitation_send(
        membership=membership, actor=world.admin.user, now=T0
    )
    assert invitation.invited_by == world.admin.user
    assert (invitation.created_at, invitation.expires_at) == (T0, T0 + dt.timedelta(days=7))
    event = AuditEvent.objects.get(action="invitation.sent")
    assert (event.actor, event.target_id) == (world.admin.user, str(invitation.pk))
    assert event.after is not None
    assert event.after["email"] == "nina@bowman.test"


def test_cu2_nothing_is_written_when_the_transaction_rolls_back(world: World) -> None:
    membership = invited(world)

    def fail_after_sending() -> None:
        with transaction.atomic():
            invitation_services.invitation_send(
                membership=membership, actor=world.admin.user, now=T0
            )
            raise RuntimeError("the caller fails after sending")

    with pytest.raises(RuntimeError):
        fail_after_sending()
    assert OutboundEmail.objects.count() == 0
    assert Invitation.objects.count() == 0
    assert AuditEvent.objects.filter(action="invitation.sent").count() == 0


def test_the_token_is_random_and_only_its_hash_is_stored(world: World) -> None:
    first, second = invited(world), invited(world, "otto@bowman.test", "Otto")
    raw = send(world, first)
    other = send(world, second)
    assert raw != other
    assert len(raw) >= 43  # 256 bits in URL-safe base64
    stored = Invitation.objects.get(membership=first)
    assert stored.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(list(Invitation.objects.values()))
    assert raw not in str(list(OutboundEmail.objects.values()))


# CU3: inviting again -----------------------------------------------------------------------


def test_cu3_reinvite_refused_within_24_hours_with_time_left(world: World) -> None:
    membership = invited(world)
    send(world, membership)

    with pytest.raises(ValidationError) as refused:
        send(world, membership, now=T0 + dt.timedelta(hours=20, minutes=48))

    assert refusal(refused.value) == "You can invite Nina Bowman again in 3 hours 12 minutes."
    assert Invitation.objects.count() == 1
    assert OutboundEmail.objects.count() == 1
    assert OutboundEmail.objects.get().status == EmailStatus.SENT


def test_cu3_the_time_left_is_rounded_up_and_plural_aware(world: World) -> None:
    membership = invited(world)
    send(world, membership)
    for after, left in [
        (dt.timedelta(hours=23, minutes=59, seconds=30), "1 minute."),
        (dt.timedelta(hours=23), "1 hour."),
        (dt.timedelta(hours=1, minutes=59), "22 hours 1 minute."),
    ]:
        with pytest.raises(ValidationError) as refused:
            send(world, membership, now=T0 + after)
        assert refusal(refused.value).endswith(f" in {left}")


def test_cu3_reinvite_after_24_hours_sends_a_new_link(world: World) -> None:
    membership = invited(world)
    first = send(world, membership)
    later = T0 + dt.timedelta(hours=24)

    second = send(world, membership, now=later)

    assert second != first
    assert [e.kind for e in OutboundEmail.objects.order_by("pk")] == [
        "client_invitation",
        "client_reinvitation",
    ]
    reminder = mail.outbox[-1]
    assert second in link_in(reminder)
    assert "The link in any earlier invitation no longer works" in reminder.body
    assert reminder.subject == "Your new invitation to Acme Studio"


def test_cu3_reinvite_refused_for_someone_who_joined(world: World) -> None:
    with pytest.raises(ValidationError) as refused:
        send(world, world.client)
    assert refusal(refused.value) == "Paul Bowman has already joined Acme Studio."
    assert Invitation.objects.count() == 0


def test_cu3_reinvite_refused_for_someone_removed(world: World) -> None:
    membership = invited(world)
    membership.status = MembershipStatus.DEACTIVATED
    membership.save()
    with pytest.raises(ValidationError) as refused:
        send(world, membership)
    assert "was removed from this portal" in refusal(refused.value)
    assert Invitation.objects.count() == 0


def test_cu3_a_revoked_invitation_does_not_hold_the_next_back(world: World) -> None:
    membership = invited(world)
    send(world, membership)
    invitation_services.invitation_revoke(
        membership=membership, actor=world.admin.user, now=T0 + dt.timedelta(hours=1)
    )
    raw = send(world, membership, now=T0 + dt.timedelta(hours=2))
    assert status_of(raw, T0 + dt.timedelta(hours=3)) == LinkStatus.VALID


# CU4: one link, 7 days, once -----------------------------------------------------------------


def test_cu4_get_changes_nothing(world: World) -> None:
    raw = send(world, invited(world))
    before = snapshot()
    for _ in range(3):  # mail scanners open links, sometimes several times
        assert status_of(raw) == LinkStatus.VALID
    assert status_of("not-a-token") == LinkStatus.UNKNOWN
    assert snapshot() == before


def test_cu4_new_invitation_invalidates_previous_link(world: World) -> None:
    membership = invited(world)
    first = send(world, membership)
    second = send(world, membership, now=T0 + dt.timedelta(days=1))
    now = T0 + dt.timedelta(days=1, hours=1)

    assert status_of(first, now) == LinkStatus.SUPERSEDED
    assert status_of(second, now) == LinkStatus.VALID
    with pytest.raises(InvitationUnusable) as unusable:
        accept_new(first, now)
    assert unusable.value.check.status == LinkStatus.SUPERSEDED
    assert Membership.objects.get(pk=membership.pk).status == MembershipStatus.INVITED
    # The partial unique index holds: one open invitation.
    assert Invitation.objects.filter(invitation_selectors.OPEN, membership=membership).count() == 1


def test_cu4_link_expires_after_7_days(world: World) -> None:
    membership = invited(world)
    raw = send(world, membership)
    last_moment = T0 + dt.timedelta(days=7) - dt.timedelta(seconds=1)
    assert status_of(raw, last_moment) == LinkStatus.VALID
    assert status_of(raw, T0 + dt.timedelta(days=7)) == LinkStatus.EXPIRED
    with pytest.raises(InvitationUnusable) as unusable:
        accept_new(raw, T0 + dt.timedelta(days=7))
    assert unusable.value.check.status == LinkStatus.EXPIRED
    assert Membership.objects.get(pk=membership.pk).status == MembershipStatus.INVITED


def test_cu4_accepting_sets_name_and_password_and_activates(world: World) -> None:
    membership = invited(world)
    membership.user.full_name = ""
    membership.user.save()
    raw = send(world, membership)
    when = T0 + dt.timedelta(hours=5)

    joined = accept_new(raw, when)

    assert joined.pk == membership.pk
    assert (joined.status, joined.activated_at) == (MembershipStatus.ACTIVE, when)
    user = User.objects.get(pk=membership.user.pk)
    assert user.full_name == "Nina Bowman"
    assert user.check_password(NEW_PASSWORD)
    assert Invitation.objects.get().accepted_at == when
    event = AuditEvent.objects.get(action="invitation.accepted")
    assert event.actor == user


def test_cu4_link_works_once(world: World) -> None:
    raw = send(world, invited(world))
    accept_new(raw)
    with pytest.raises(InvitationUnusable) as unusable:
        invitation_services.invitation_accept(
            raw_token=raw, full_name="Someone Else", password="another passphrase 7"
        )
    assert unusable.value.check.status == LinkStatus.USED
    user = User.objects.get(email="nina@bowman.test")
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="invitation.accepted").count() == 1


@pytest.mark.parametrize(
    ("full_name", "password", "field"),
    [
        ("Nina Bowman", "123", "password"),
        ("Nina Bowman", "", "password"),
        ("Nina Bowman", "nina@bowman.test", "password"),  # the address itself
        ("   ", NEW_PASSWORD, "full_name"),
        ("N" * 151, NEW_PASSWORD, "full_name"),
    ],
)
def test_cu4_bad_name_or_password_is_refused_and_the_link_stays_usable(
    world: World, full_name: str, password: str, field: str
) -> None:
    raw = send(world, invited(world))
    with pytest.raises(ValidationError) as refused:
        invitation_services.invitation_accept(
            raw_token=raw, full_name=full_name, password=password, now=T0
        )
    assert list(refused.value.message_dict) == [field]
    assert status_of(raw) == LinkStatus.VALID
    assert not User.objects.get(email="nina@bowman.test").has_usable_password()


# CU8: one person across the installation ----------------------------------------------------


def test_cu8_existing_account_signs_in_instead_of_creating_a_person(world: World) -> None:
    # Olga is admin of another portal, and now a client of this one.
    membership = make_member(world.portal, "admin@other.test", "client")
    membership.status = MembershipStatus.INVITED
    membership.save()
    raw = send(world, membership)
    people = User.objects.count()

    # Without signing in, or signed in as somebody else: refused.
    with pytest.raises(ValidationError) as refused:
        invitation_services.invitation_accept(
            raw_token=raw, full_name="X", password=NEW_PASSWORD, now=T0
        )
    assert "Sign in" in refusal(refused.value)
    with pytest.raises(ValidationError) as refused:
        invitation_services.invitation_accept(raw_token=raw, user=world.admin.user, now=T0)
    assert refusal(refused.value) == "This invitation is for another email address."
    assert status_of(raw) == LinkStatus.VALID

    joined = invitation_services.invitation_accept(
        raw_token=raw, user=world.other_admin.user, now=T0
    )

    assert joined.status == MembershipStatus.ACTIVE
    assert User.objects.count() == people
    olga = User.objects.get(email="admin@other.test")
    assert olga.check_password(PASSWORD)  # their password and name are theirs
    assert olga.full_name == "Olga Other"
    assert olga.memberships.count() == 2


# CU10: revoking and the admin's view --------------------------------------------------------


def test_cu10_revoked_link_behaves_like_expired(world: World) -> None:
    membership = invited(world)
    raw = send(world, membership)

    revoked = invitation_services.invitation_revoke(membership=membership, actor=world.admin.user)

    assert revoked is not None
    assert revoked.revoked_at is not None
    check = invitation_selectors.invitation_for_token(raw_token=raw)
    assert (check.status, check.usable) == (LinkStatus.REVOKED, False)
    with pytest.raises(InvitationUnusable):
        accept_new(raw, dt.datetime.now(tz=dt.UTC))
    assert Membership.objects.get(pk=membership.pk).status == MembershipStatus.INVITED
    event = AuditEvent.objects.get(action="invitation.revoked")
    assert event.actor == world.admin.user


def test_cu10_revoking_with_nothing_open_does_nothing(world: World) -> None:
    membership = invited(world)
    assert invitation_services.invitation_revoke(membership=membership, actor=None) is None
    raw = send(world, membership)
    accept_new(raw)
    assert invitation_services.invitation_revoke(membership=membership, actor=None) is None
    assert AuditEvent.objects.filter(action="invitation.revoked").count() == 0


def test_cu10_invitation_states_in_one_query(
    world: World, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    pending = invited(world, "pending@bowman.test")
    expired = invited(world, "expired@bowman.test")
    accepted = invited(world, "accepted@bowman.test")
    revoked = invited(world, "revoked@bowman.test")
    never = invited(world, "never@bowman.test")
    for membership in (expired, accepted, revoked):
        send(world, membership, now=T0 - dt.timedelta(days=8))
    send(world, pending, now=T0 - dt.timedelta(hours=2))
    accept_new(send(world, accepted, now=T0 - dt.timedelta(days=1)), T0 - dt.timedelta(hours=20))
    invitation_services.invitation_revoke(
        membership=revoked, actor=None, now=T0 - dt.timedelta(days=7)
    )
    other_client = make_member(world.other_portal, "someone@other.test", "client")

    with django_assert_num_queries(1):
        states = invitation_selectors.invitation_states(portal=world.portal, now=T0)

    assert world.admin.pk not in states  # staff have no invitations
    assert other_client.pk not in states  # another portal's people are not listed
    assert states[world.client.pk].state == "none"
    assert states[world.client.pk].can_reinvite_at is None  # joined: nothing to re-send

    p = states[pending.pk]
    assert (p.state, p.sent_at, p.expires_at) == (
        "pending",
        T0 - dt.timedelta(hours=2),
        T0 + dt.timedelta(days=7, hours=-2),
    )
    assert p.revocable
    assert (p.can_reinvite_at, p.reinvite_allowed) == (T0 + dt.timedelta(hours=22), False)

    e = states[expired.pk]
    assert (e.state, e.reinvite_allowed, e.revocable) == ("expired", True, False)

    a = states[accepted.pk]
    assert (a.state, a.accepted_at, a.can_reinvite_at) == (
        "accepted",
        T0 - dt.timedelta(hours=20),
        None,
    )

    r = states[revoked.pk]
    assert (r.state, r.revoked_at, r.reinvite_allowed) == (
        "revoked",
        T0 - dt.timedelta(days=7),
        True,
    )

    n = states[never.pk]
    assert (n.state, n.sent_at, n.reinvite_allowed) == ("none", None, True)


# CU7: the removal notice ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "greeting"), [("en", "Hello Paul Bowman,"), ("fr", "Bonjour Paul Bowman,")]
)
def test_cu7_removal_notice_in_the_persons_language(
    world: World, language: str, greeting: str
) -> None:
    world.client.user.language = language
    world.client.user.save()

    with transaction.atomic():
        invitation_services.removal_notice_queue(membership=world.client, actor=world.admin.user)

    email = OutboundEmail.objects.get()
    assert (email.kind, email.to, email.language) == (
        "client_removed",
        "paul@bowman.test",
        language,
    )
    assert email.body_text.startswith(greeting)
    assert "Acme Studio" in email.body_text
    assert "Acme Studio" in email.subject
    assert f'<html lang="{language}">' in email.body_html
    if language == "en":
        assert "Ada Admin removed your access to Acme Studio on Portail" in email.body_text


def test_cu7_removal_notice_rolls_back_with_the_removal(world: World) -> None:
    """The real removal (CU7, with the notice) in a transaction that fails after it: the
    notice, the revoked invitation and the deactivation all go, nothing is left half-done."""
    # Imported here: the removal service is the clients app's, not this module's.
    from portail.clients.client_users import client_user_remove

    membership = invited(world)
    invitation = invitation_services.invitation_send(membership=membership, actor=world.admin.user)
    emails_before = OutboundEmail.objects.count()

    def fail_after_removing() -> None:
        with transaction.atomic():
            client_user_remove(membership=membership, actor=world.admin.user, notify=True)
            # The removal did write: the notice is in the outbox, the invitation revoked.
            assert OutboundEmail.objects.filter(kind="client_removed").count() == 1
            assert Invitation.objects.get(pk=invitation.pk).revoked_at is not None
            raise RuntimeError("the caller fails after the removal")

    with pytest.raises(RuntimeError, match="after the removal"):
        fail_after_removing()
    assert OutboundEmail.objects.count() == emails_before
    assert not OutboundEmail.objects.filter(kind="client_removed").exists()
    assert Invitation.objects.get(pk=invitation.pk).revoked_at is None
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.INVITED
    removal_events = ("client_user.removed", "invitation.revoked")
    assert not AuditEvent.objects.filter(action__in=removal_events).exists()


# CU4 under concurrent submissions (PostgreSQL; SQLite serialises writers anyway) ------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_cu4_concurrent_acceptances_make_one_membership(world: World) -> None:
    membership = invited(world)
    invitation = invitation_services.invitation_send(membership=membership, actor=None)
    raw = token_in(deliver_link(invitation_services.LINK_KIND, invitation.pk))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def submit(index: int) -> None:
        try:
            barrier.wait()
            invitation_services.invitation_accept(
                raw_token=raw, full_name=f"Nina {index}", password=f"{NEW_PASSWORD} {index}"
            )
            outcomes.append("accepted")
        except InvitationUnusable as unusable:
            outcomes.append(unusable.check.status.value)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(outcomes) == ["accepted", "used"]
    assert Invitation.objects.get().accepted_at is not None
    assert Membership.objects.get(pk=membership.pk).status == MembershipStatus.ACTIVE
    assert AuditEvent.objects.filter(action="invitation.accepted").count() == 1
