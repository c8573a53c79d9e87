"""Client users at portal level, through the services (RULES CU1, CU5-CU9, PE1, CC4, PC5)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from portail.access import rules
from portail.access.catalogue import Level
from portail.access.models import ClientProfile
from portail.accounts.models import User
from portail.audit.models import AuditEvent
from portail.clients import client_users, companies
from portail.clients.models import ClientCompany, Invitation, ProjectClient
from portail.notifications.models import OutboundEmail
from portail.portals.models import Membership, MembershipKind, MembershipStatus
from portail.projects.models import BillingMethod, ProjectMember
from tests.conftest import World, make_member, make_project, make_user
from tests.outbox import deliver_email, link_in

pytestmark = pytest.mark.django_db


def company(world: World, name: str = "Bowman Furniture's") -> ClientCompany:
    return companies.company_create(portal=world.portal, actor=world.admin.user, name=name)


def add(world: World, email: str = "paula@bowman.test", **kwargs: Any) -> Membership:
    kwargs.setdefault("projects", [world.project])
    if "company" not in kwargs and "new_company_name" not in kwargs:
        kwargs["company"] = company(world)
    return client_users.client_user_add(
        portal=world.portal, actor=world.admin.user, email=email, **kwargs
    )


def invoice(world: World) -> None:
    """Invoicing on, the project billed on staff hours: rates apply (CU9)."""
    world.portal.invoicing_enabled = True
    world.portal.save()
    world.project.billing_method = BillingMethod.STAFF_HOURS
    world.project.save()


def clients_of(world: World) -> int:
    return Membership.objects.filter(portal=world.portal, kind=MembershipKind.CLIENT).count()


# CU1 ---------------------------------------------------------------------------------------


def test_cu1_adds_a_client_user_with_company_profile_rate_and_project(world: World) -> None:
    invoice(world)
    bowman = company(world)
    profile = ClientProfile.objects.create(portal=world.portal, name="Reviewer")
    person = add(
        world,
        " Paula@Bowman.test ",
        company=bowman,
        profile=profile,
        hourly_rate=Decimal("85.50"),
        full_name="Paula Bowman",
    )
    assert person.kind == MembershipKind.CLIENT
    assert person.status == MembershipStatus.INVITED
    assert (person.client_company, person.client_profile) == (bowman, profile)
    assert person.hourly_rate == Decimal("85.50")
    assert person.user.email == "paula@bowman.test"
    assert person.user.full_name == "Paula Bowman"
    assert not person.user.has_usable_password()
    row = ProjectMember.objects.get(membership=person)
    assert (row.project, row.hourly_rate) == (world.project, Decimal("85.50"))


def test_cu1_profile_defaults_to_the_portal_default(world: World) -> None:
    person = add(world)
    assert person.client_profile is not None
    assert person.client_profile.is_default


def test_cu1_a_new_company_is_made_on_the_spot(world: World) -> None:
    person = add(world, new_company_name="  Imprimerie Vasseur ")
    assert person.client_company is not None
    assert person.client_company.name == "Imprimerie Vasseur"
    assert AuditEvent.objects.filter(action="client_company.created").count() == 1


def test_cu1_the_company_joins_the_project_and_is_primary_when_it_has_none(world: World) -> None:
    person = add(world)
    link = ProjectClient.objects.get(project=world.project)
    assert (link.company, link.is_primary) == (person.client_company, True)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "  "}, "email"),
        ({"hourly_rate": Decimal("-1")}, "hourly_rate"),
        ({"hourly_rate": Decimal("12.345")}, "hourly_rate"),
        ({"hourly_rate": Decimal("123456789")}, "hourly_rate"),
        ({"hourly_rate": Decimal("NaN")}, "hourly_rate"),
        ({"new_company_name": "Other", "company": None}, None),
    ],
)
def test_cu1_bad_input_is_named_and_nothing_is_written(
    world: World, kwargs: dict[str, Any], field: str | None
) -> None:
    bowman = company(world)
    before = (clients_of(world), User.objects.count(), ClientCompany.objects.count())
    arguments: dict[str, Any] = {"email": "paula@bowman.test", "company": bowman} | kwargs
    if field is None:  # both an existing company and a new name
        arguments["company"] = bowman
        field = "new_company_name"
    with pytest.raises(ValidationError) as caught:
        add(world, **arguments)
    assert field in caught.value.message_dict
    assert (clients_of(world), User.objects.count(), ClientCompany.objects.count()) == before
    assert not Invitation.objects.exists()


def test_cu1_no_company_at_all_is_refused(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        client_users.client_user_add(
            portal=world.portal, actor=None, email="paula@bowman.test", projects=[]
        )
    assert "company" in caught.value.message_dict


def test_cu1_duplicate_email_in_the_portal_any_case_is_refused(world: World) -> None:
    add(world, "paula@bowman.test")
    with pytest.raises(ValidationError) as caught:
        add(world, "PAULA@bowman.TEST", company=company(world, "Another"))
    assert "already a member of this portal" in caught.value.message_dict["email"][0]
    assert clients_of(world) == 2  # the world's client and Paula, once


def test_cu1_a_staff_member_cannot_be_added_as_a_client(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        add(world, world.employee.user.email)
    assert "email" in caught.value.message_dict


def test_cu1_a_company_or_profile_of_another_portal_is_refused(world: World) -> None:
    elsewhere = companies.company_create(portal=world.other_portal, actor=None, name="Far")
    with pytest.raises(ValidationError) as caught:
        add(world, company=elsewhere)
    assert "company" in caught.value.message_dict
    other_profile = ClientProfile.objects.create(portal=world.other_portal, name="Theirs")
    bowman = company(world)
    with pytest.raises(ValidationError) as caught:
        add(world, company=bowman, profile=other_profile)
    assert "profile" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        add(world, company=bowman, projects=[world.other_project])
    assert "projects" in caught.value.message_dict
    assert clients_of(world) == 1


# CU2 ---------------------------------------------------------------------------------------


def test_cu2_adding_a_client_user_writes_an_invitation_email(world: World) -> None:
    person = add(world)
    invitation = Invitation.objects.get(membership=person)
    assert invitation.invited_by == world.admin.user
    email = OutboundEmail.objects.get(to="paula@bowman.test")
    assert world.portal.name in email.subject or world.portal.name in email.body_text
    # The link is made when the email is sent, never stored with it.
    assert "/invitations/" not in email.body_text
    assert "/invitations/" in link_in(deliver_email(email))


def test_cu2_without_invite_the_person_is_active_and_no_email_is_written(world: World) -> None:
    person = add(world, invite=False)
    assert person.status == MembershipStatus.ACTIVE
    assert person.activated_at is not None
    assert not OutboundEmail.objects.exists()


# CU5 ---------------------------------------------------------------------------------------


def test_cu5_adds_several_people_to_a_company_across_projects(world: World) -> None:
    invoice(world)
    shop = make_project(world.portal, world.admin, "Shop")
    bowman = company(world)
    added = client_users.client_users_add_to_company(
        company=bowman,
        actor=world.admin.user,
        emails=["a@bowman.test", "b@bowman.test"],
        hourly_rate=Decimal("70"),
        projects=[world.project, shop],
    )
    assert sorted(m.user.email for m in added) == ["a@bowman.test", "b@bowman.test"]
    for person in added:
        assert person.client_company == bowman
        assert person.client_profile is not None
        assert person.client_profile.is_default
        assert ProjectMember.objects.filter(membership=person).count() == 2
    assert OutboundEmail.objects.count() == 2


def test_cu5_one_bad_address_adds_nobody_and_names_it(world: World) -> None:
    bowman = company(world)
    add(world, "taken@bowman.test", company=bowman)
    with pytest.raises(ValidationError) as caught:
        client_users.client_users_add_to_company(
            company=bowman,
            actor=None,
            emails=["new@bowman.test", "taken@bowman.test"],
            projects=[world.project],
        )
    assert "taken@bowman.test" in caught.value.message_dict["emails"][0]
    assert not User.objects.filter(email="new@bowman.test").exists()


# CU6 ---------------------------------------------------------------------------------------


def test_cu6_edit_changes_portal_rate_project_rates_and_adds_projects(world: World) -> None:
    invoice(world)
    shop = make_project(world.portal, world.admin, "Shop")
    person = add(world, hourly_rate=Decimal("80"))
    client_users.client_user_update(
        membership=person,
        actor=world.admin.user,
        hourly_rate=Decimal("90"),
        project_rates={world.project.pk: Decimal("95")},
        add_projects=[shop],
    )
    person.refresh_from_db()
    assert person.hourly_rate == Decimal("90")
    rates = dict(
        ProjectMember.objects.filter(membership=person).values_list("project_id", "hourly_rate")
    )
    assert rates == {world.project.pk: Decimal("95"), shop.pk: Decimal("90")}
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"client_user.updated", "project_member.rate_changed"} <= actions


def test_cu6_a_bad_project_rate_changes_nothing(world: World) -> None:
    invoice(world)
    person = add(world, hourly_rate=Decimal("80"))
    with pytest.raises(ValidationError) as caught:
        client_users.client_user_update(
            membership=person,
            actor=None,
            hourly_rate=Decimal("99"),
            project_rates={world.project.pk: Decimal("-5")},
        )
    assert f"rate_{world.project.pk}" in caught.value.message_dict
    person.refresh_from_db()
    assert person.hourly_rate == Decimal("80")


def test_cu6_a_rate_on_a_project_they_are_not_on_is_refused(world: World) -> None:
    person = add(world)
    with pytest.raises(ValidationError):
        client_users.client_user_update(
            membership=person,
            actor=None,
            project_rates={world.other_project.pk: Decimal("5")},
        )


# CU7 ---------------------------------------------------------------------------------------


def test_cu7_removing_with_let_the_user_know_sends_a_removal_email(world: World) -> None:
    person = add(world, invite=False)
    client_users.client_user_remove(membership=person, actor=world.admin.user, notify=True)
    person.refresh_from_db()
    assert person.status == MembershipStatus.DEACTIVATED
    assert not ProjectMember.objects.filter(membership=person).exists()
    email = OutboundEmail.objects.get(to="paula@bowman.test")
    assert email.kind != "client_invitation"
    assert User.objects.filter(email="paula@bowman.test").exists()
    event = AuditEvent.objects.get(action="client_user.removed")
    assert event.before["projects"] == [world.project.pk]


def test_cu7_removing_without_telling_sends_nothing(world: World) -> None:
    person = add(world, invite=False)
    client_users.client_user_remove(membership=person, actor=None, notify=False)
    assert not OutboundEmail.objects.exists()


def test_cu7_removing_an_invited_person_revokes_their_invitation(world: World) -> None:
    person = add(world)
    client_users.client_user_remove(membership=person, actor=None, notify=False)
    invitation = Invitation.objects.get(membership=person)
    assert invitation.revoked_at is not None


def test_cu7_a_removed_person_loses_their_permissions(world: World) -> None:
    person = add(world, invite=False)
    assert rules.permissions(person, world.project)["tasks.view"] == Level.ALL
    client_users.client_user_remove(membership=person, actor=None, notify=False)
    person.refresh_from_db()
    assert rules.permissions(person, world.project)["tasks.view"] == Level.NONE


# CU8 ---------------------------------------------------------------------------------------


def test_cu8_someone_with_an_account_elsewhere_is_linked_not_duplicated(world: World) -> None:
    theirs = make_member(world.other_portal, "paula@bowman.test", "client")
    person = add(world, "PAULA@BOWMAN.TEST")
    assert person.user == theirs.user
    assert User.objects.filter(email__iexact="paula@bowman.test").count() == 1
    assert theirs.user.has_usable_password()


def test_cu8_a_removed_person_can_be_added_again(world: World) -> None:
    person = add(world, invite=False)
    client_users.client_user_remove(membership=person, actor=None, notify=False)
    again = add(world, "paula@bowman.test", company=company(world, "New Co"))
    assert again.pk == person.pk
    assert again.status == MembershipStatus.INVITED
    assert again.client_company is not None
    assert again.client_company.name == "New Co"
    assert AuditEvent.objects.filter(action="client_user.readded").count() == 1


def test_cu8_staff_of_another_portal_can_be_a_client_here(world: World) -> None:
    person = add(world, world.other_admin.user.email)
    assert person.user == world.other_admin.user


# PE1 ---------------------------------------------------------------------------------------


def test_pe1_a_client_users_permissions_come_from_their_profile(world: World) -> None:
    profile = ClientProfile.objects.create(
        portal=world.portal, name="Viewer", permissions={"project.view": "all"}
    )
    person = add(world, profile=profile, invite=False)
    resolved = rules.permissions(person, world.project)
    assert resolved["project.view"] == Level.ALL
    assert resolved["tasks.view"] == Level.NONE
    assert rules.permissions(person, make_project(world.portal, world.admin, "Shop")) == (
        rules.nothing()
    )


def test_pe1_an_invited_person_has_no_permissions_until_they_accept(world: World) -> None:
    person = add(world)
    assert rules.permissions(person, world.project) == rules.nothing()


def test_pe1_stored_levels_outside_the_catalogue_count_as_none() -> None:
    resolved = rules.profile_permissions(
        {"tasks.view": "all", "tasks.add": "own", "nope.view": "all", "tasks.edit": "maybe"}
    )
    assert resolved["tasks.view"] == Level.ALL
    assert resolved["tasks.add"] == Level.NONE
    assert resolved["tasks.edit"] == Level.NONE
    assert "nope.view" not in resolved


# CC4 / PC5: a company leaving takes its people off the project ------------------------------


def test_cc4_deleting_a_company_takes_its_users_off_every_project(world: World) -> None:
    person = add(world, invite=False)
    assert person.client_company is not None
    companies.company_delete(company=person.client_company, actor=world.admin.user)
    assert not ProjectMember.objects.filter(membership=person).exists()
    person.refresh_from_db()
    assert rules.permissions(person, world.project) == rules.nothing()


def test_pc5_taking_a_company_off_a_project_takes_its_users_off_it(world: World) -> None:
    shop = make_project(world.portal, world.admin, "Shop")
    person = add(world, projects=[world.project, shop], invite=False)
    assert person.client_company is not None
    companies.company_update(company=person.client_company, actor=None, projects=[shop])
    assert list(
        ProjectMember.objects.filter(membership=person).values_list("project", flat=True)
    ) == [shop.pk]


def test_membership_constraint_refuses_a_client_without_company_or_profile(
    world: World,
) -> None:
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            portal=world.portal, user=make_user("x@y.test"), kind=MembershipKind.CLIENT
        )


def test_cu9_rates_changed_on_three_projects_are_logged_without_a_query_per_project(
    world: World,
) -> None:
    """Each rate change names its project membership by the person and the project, from
    rows already loaded (the zeal fixture fails this test on an N+1)."""
    invoice(world)
    more = [make_project(world.portal, world.admin, name) for name in ("Shop", "Catalogue")]
    for project in more:
        project.billing_method = BillingMethod.STAFF_HOURS
        project.save()
    person = add(world, projects=[world.project, *more])
    client_users.client_user_update(
        membership=person,
        actor=world.admin.user,
        project_rates={project.pk: Decimal("95") for project in [world.project, *more]},
    )
    events = AuditEvent.objects.filter(action="project_member.rate_changed")
    assert sorted(events.values_list("target_label", flat=True)) == [
        "paula@bowman.test · Catalogue",
        "paula@bowman.test · Shop",
        "paula@bowman.test · Website",
    ]
