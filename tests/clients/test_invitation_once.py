"""CU4: an invitation link works once. Three layers make it so, and each is tested on its own.

`invitation_accept` (clients/invitation_services.py):

1. the "already used" check: `invitation_for_token` reads an accepted invitation
   as used, whatever became of the person since (removed, added again);
2. the conditional UPDATE that spends the link: it matches only an open
   (not accepted, revoked or replaced) and unexpired invitation, so a revoke or
   a re-invitation that lands between the check and the update wins;
3. the status check after the membership row is locked: the person must still
   be invited.

A change that lands "between the check and the update" is made here by running
it just before `invitation_accept` takes its lock, the moment a concurrent
request would have committed it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone
from zeal import zeal_ignore

from portail.accounts.models import User
from portail.audit.models import AuditEvent
from portail.clients import client_users, invitation_selectors, invitation_services
from portail.clients.invitation_selectors import LinkStatus
from portail.clients.invitation_services import InvitationUnusable
from portail.clients.models import ClientCompany, Invitation
from portail.portals.models import Membership, MembershipStatus
from tests.conftest import CLIENT_COMPANY, World
from tests.outbox import deliver_link, path_of, token_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a fresh passphrase 42"


def add_nina(world: World) -> Membership:
    """An admin adds Nina, new to Portail, as a client user: invited, with an email on its way."""
    with zeal_ignore():  # adding her twice in a test is not an N+1
        return client_users.client_user_add(
            portal=world.portal,
            actor=world.admin.user,
            email="nina@bowman.test",
            company=ClientCompany.objects.get(portal=world.portal, name=CLIENT_COMPANY),
            full_name="Nina Bowman",
        )


def link_of(membership: Membership, now: dt.datetime | None = None) -> str:
    """The raw token of the membership's latest invitation, from the email as sent."""
    with zeal_ignore():  # one email per invitation
        invitation = Invitation.objects.filter(membership=membership).latest("pk")
    return token_in(deliver_link(invitation_services.LINK_KIND, invitation.pk, now=now))


def accept(raw: str, now: dt.datetime | None = None, name: str = "Nina Bowman") -> Membership:
    return invitation_services.invitation_accept(
        raw_token=raw, full_name=name, password=NEW_PASSWORD, now=now
    )


def just_before_the_lock(monkeypatch: pytest.MonkeyPatch, change: Callable[[], object]) -> None:
    """Run `change` once `invitation_accept` has checked the link, before it locks and spends it.

    It runs inside the acceptance's transaction, so the refusal rolls it back too:
    the tests assert the refusal and that nothing of the acceptance was written.
    """
    real_lock = invitation_services._lock

    def lock(membership: Membership, *, with_user: bool = False) -> Membership:
        monkeypatch.setattr(invitation_services, "_lock", real_lock)  # once; `change` may lock too
        change()
        return real_lock(membership, with_user=with_user)

    monkeypatch.setattr(invitation_services, "_lock", lock)


def nothing_accepted() -> bool:
    nina = User.objects.get(email="nina@bowman.test")
    return (
        not nina.has_usable_password()
        and nina.full_name == "Nina Bowman"
        and not Invitation.objects.filter(accepted_at__isnull=False).exists()
        and not AuditEvent.objects.filter(action="invitation.accepted").exists()
    )


# Reuse after the person is removed and added again (layers 1 and 2 together) -------------------


def test_cu4_a_used_link_cannot_be_used_again_after_the_person_is_removed_and_re_added(
    world: World,
) -> None:
    nina = add_nina(world)
    used = link_of(nina)
    accept(used)
    client_users.client_user_remove(membership=nina, actor=world.admin.user, notify=False)
    nina = add_nina(world)  # back, invited again, with a new invitation
    assert Membership.objects.get(pk=nina.pk).status == MembershipStatus.INVITED
    fresh = link_of(nina)

    # The old link cannot be accepted, not even by Nina herself, signed in: she stays
    # invited, and must use the new link.
    with pytest.raises(InvitationUnusable) as unusable:
        invitation_services.invitation_accept(
            raw_token=used, user=User.objects.get(email="nina@bowman.test")
        )
    assert unusable.value.check.status == LinkStatus.USED
    assert Membership.objects.get(pk=nina.pk).status == MembershipStatus.INVITED
    # Layer 1 on its own: the old link still reads as used (the page says so, 410).
    assert invitation_selectors.invitation_for_token(raw_token=used).status == LinkStatus.USED
    page = Client().get(path_of(f"/invitations/{used}/"))
    assert (page.status_code, page.context["status"]) == (410, "used")
    assert User.objects.get(email="nina@bowman.test").full_name == "Nina Bowman"
    assert AuditEvent.objects.filter(action="invitation.accepted").count() == 1
    # The new link is the one that works.
    assert invitation_selectors.invitation_for_token(raw_token=fresh).usable


def test_cu4_a_used_link_is_refused_as_used_before_anything_else_is_checked(
    world: World,
) -> None:
    nina = add_nina(world)
    used = link_of(nina)
    accept(used)
    # No name, no password, and signed in as nobody: the answer is still "already used",
    # not a form error the person could try to fix.
    with pytest.raises(InvitationUnusable) as unusable:
        invitation_services.invitation_accept(raw_token=used)
    assert unusable.value.check.status == LinkStatus.USED
    with pytest.raises(InvitationUnusable) as unknown:
        invitation_services.invitation_accept(raw_token="no-such-link", full_name="X", password="y")
    assert unknown.value.check.status == LinkStatus.UNKNOWN


# A change landing between the check and the update (layer 2 on its own) ----------------------


def test_cu4_a_revoke_landing_between_the_check_and_the_update_wins(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    nina = add_nina(world)
    raw = link_of(nina)
    just_before_the_lock(
        monkeypatch,
        lambda: invitation_services.invitation_revoke(membership=nina, actor=world.admin.user),
    )

    with pytest.raises(InvitationUnusable) as unusable:
        accept(raw)

    assert unusable.value.check.status == LinkStatus.REVOKED
    assert nothing_accepted()


def test_cu4_a_reinvitation_landing_between_the_check_and_the_update_wins(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    nina = add_nina(world)
    raw = link_of(nina)
    later = timezone.now() + invitation_selectors.REINVITE_AFTER + dt.timedelta(minutes=1)
    just_before_the_lock(
        monkeypatch,
        lambda: invitation_services.invitation_send(
            membership=nina, actor=world.admin.user, now=later
        ),
    )

    with pytest.raises(InvitationUnusable) as unusable:
        accept(raw, now=later)

    assert unusable.value.check.status == LinkStatus.SUPERSEDED
    assert nothing_accepted()


def test_cu4_a_removal_landing_between_the_check_and_the_update_wins(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    nina = add_nina(world)
    raw = link_of(nina)
    just_before_the_lock(
        monkeypatch,
        lambda: client_users.client_user_remove(
            membership=nina, actor=world.admin.user, notify=False
        ),
    )

    with pytest.raises(InvitationUnusable) as unusable:
        accept(raw)

    assert unusable.value.check.status == LinkStatus.REVOKED
    assert nothing_accepted()


# The status check after the lock (layer 3 on its own) ----------------------------------------


def test_cu4_a_person_no_longer_invited_when_the_lock_is_taken_is_refused(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    nina = add_nina(world)
    raw = link_of(nina)

    def joined_another_way() -> None:
        # The person became active by another road while their invitation stayed open
        # (the state invitation_for_token calls "used"): only the status check sees it.
        Membership.objects.filter(pk=nina.pk).update(
            status=MembershipStatus.ACTIVE, activated_at=timezone.now()
        )

    just_before_the_lock(monkeypatch, joined_another_way)

    with pytest.raises(InvitationUnusable) as unusable:
        accept(raw, name="Somebody Else")

    assert unusable.value.check.status == LinkStatus.USED
    assert nothing_accepted()
