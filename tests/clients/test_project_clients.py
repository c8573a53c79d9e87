"""A project's clients and client members through the services and selectors
(RULES PC1-PC8, CU8, CU9, CU10, PE2)."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from pytest_django import DjangoAssertNumQueries

from portail.access.models import PermissionOverride
from portail.accounts.models import User
from portail.audit.models import AuditEvent
from portail.clients import client_users, companies, project_clients, selectors
from portail.clients.models import ClientCompany, Invitation, ProjectClient
from portail.clients.project_forms import ProjectCompanyAddForm
from portail.notifications.models import OutboundEmail
from portail.portals.models import Membership, MembershipKind, MembershipStatus
from portail.projects.models import BillingMethod, Project, ProjectMember, ProjectStatus
from tests.conftest import World, make_member, make_project, make_user

pytestmark = pytest.mark.django_db

CUSTOM = {"project.view": "all", "tasks.view": "own"}


def company(world: World, name: str) -> ClientCompany:
    return companies.company_create(portal=world.portal, actor=world.admin.user, name=name)


def on_project(world: World, name: str, primary: bool | None = None) -> ClientCompany:
    made = company(world, name)
    project_clients.project_client_add(
        project=world.project, company=made, actor=world.admin.user, make_primary=primary
    )
    return made


def person(
    world: World, of: ClientCompany, email: str, projects: Any = (), **kwargs: Any
) -> Membership:
    return client_users.client_user_add(
        portal=world.portal,
        actor=world.admin.user,
        email=email,
        company=of,
        projects=projects,
        **kwargs,
    )


def primaries(project: Project) -> list[str]:
    return list(
        ProjectClient.objects.filter(project=project, is_primary=True).values_list(
            "company__name", flat=True
        )
    )


def clients_of(project: Project) -> list[str]:
    return sorted(
        ProjectClient.objects.filter(project=project).values_list("company__name", flat=True)
    )


def on(project: Project, membership: Membership) -> bool:
    return ProjectMember.objects.filter(project=project, membership=membership).exists()


def member_of(project: Project, membership: Membership) -> ProjectMember:
    # filter().first() rather than get(): zeal counts repeated get()s as an N+1.
    member = ProjectMember.objects.filter(project=project, membership=membership).first()
    assert member is not None
    return member


def customise(member: ProjectMember) -> PermissionOverride:
    return PermissionOverride.objects.create(
        portal_id=member.portal_id, member=member, permissions=CUSTOM
    )


def staff_hours(world: World) -> None:
    world.portal.invoicing_enabled = True
    world.portal.save()
    world.project.billing_method = BillingMethod.STAFF_HOURS
    world.project.save()


def errors_of(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# PC1: adding a company from the project --------------------------------------------------


def test_pc1_staff_add_an_existing_company_of_the_portal(world: World) -> None:
    bowman = company(world, "Bowman Furniture")
    link = project_clients.project_client_add(
        project=world.project, actor=world.employee.user, company=bowman, make_primary=True
    )
    assert (link.company, link.is_primary) == (bowman, True)
    event = AuditEvent.objects.get(action="project_client.added")
    assert event.actor == world.employee.user


def test_pc1_staff_create_a_new_company_on_the_spot(world: World) -> None:
    link = project_clients.project_client_add(
        project=world.project,
        actor=world.admin.user,
        new_company_name="  Imprimerie Vasseur ",
        make_primary=False,
    )
    assert link.company.name == "Imprimerie Vasseur"
    assert link.company.portal == world.portal
    assert clients_of(world.project) == ["Imprimerie Vasseur"]
    assert AuditEvent.objects.filter(action="client_company.created").count() == 1


def test_pc1_a_company_already_on_the_project_is_refused(world: World) -> None:
    bowman = on_project(world, "Bowman Furniture")
    with pytest.raises(ValidationError) as excinfo:
        project_clients.project_client_add(
            project=world.project, actor=None, company=bowman, make_primary=False
        )
    assert "already a client of this project" in errors_of(excinfo)["company"][0]


def test_pc1_a_new_company_with_a_taken_name_is_refused(world: World) -> None:
    company(world, "Bowman Furniture")
    with pytest.raises(ValidationError) as excinfo:
        project_clients.project_client_add(
            project=world.project,
            actor=None,
            new_company_name="bowman furniture",
            make_primary=True,
        )
    assert "already exists" in errors_of(excinfo)["name"][0]
    assert clients_of(world.project) == []


@pytest.mark.parametrize(
    ("use_company", "name", "field"),
    [(True, "New Co", "new_company_name"), (False, "  ", "company")],
)
def test_pc1_an_existing_company_or_a_new_name_not_both_nor_neither(
    world: World, use_company: bool, name: str, field: str
) -> None:
    bowman = company(world, "Bowman Furniture")
    with pytest.raises(ValidationError) as excinfo:
        project_clients.project_client_add(
            project=world.project,
            actor=None,
            company=bowman if use_company else None,
            new_company_name=name,
            make_primary=True,
        )
    assert field in errors_of(excinfo)
    assert clients_of(world.project) == []


def test_pc1_a_company_of_another_portal_is_refused(world: World) -> None:
    theirs = companies.company_create(portal=world.other_portal, actor=None, name="Theirs")
    with pytest.raises(ValidationError) as excinfo:
        project_clients.project_client_add(
            project=world.project, actor=None, company=theirs, make_primary=True
        )
    assert errors_of(excinfo) == {"company": ["Choose a client company of this portal."]}
    assert clients_of(world.project) == []


def test_pc1_an_archived_project_is_refused(world: World) -> None:
    world.project.status = ProjectStatus.ARCHIVED
    world.project.save()
    with pytest.raises(ValidationError) as excinfo:
        project_clients.project_client_add(
            project=world.project, actor=None, new_company_name="Late Co", make_primary=True
        )
    assert "archived" in errors_of(excinfo)["projects"][0]
    assert not ClientCompany.objects.filter(name="Late Co").exists()


# PC3: the first company is primary --------------------------------------------------------


def test_pc3_first_company_is_primary(world: World) -> None:
    # The form ticks "set as primary" for the first company, not for the next ones.
    first = ProjectCompanyAddForm(project=world.project, has_primary=False)
    assert first["make_primary"].initial is True
    on_project(world, "First")
    assert primaries(world.project) == ["First"]
    second = ProjectCompanyAddForm(
        project=world.project, has_primary=selectors.project_has_primary(project=world.project)
    )
    assert second["make_primary"].initial is False
    on_project(world, "Second")
    assert primaries(world.project) == ["First"]


def test_pc3_unticking_leaves_the_project_without_a_primary(world: World) -> None:
    project_clients.project_client_add(
        project=world.project, actor=None, new_company_name="Not Primary", make_primary=False
    )
    assert primaries(world.project) == []


# PC4: one primary at most, moved in one step ---------------------------------------------


def test_pc4_set_primary_moves_the_mark_in_one_step(world: World) -> None:
    on_project(world, "First")
    second = on_project(world, "Second")
    link = project_clients.project_client_set_primary(
        project=world.project, company=second, actor=world.manager.user
    )
    assert link.is_primary
    assert primaries(world.project) == ["Second"]
    unset = AuditEvent.objects.get(action="project_client.primary_unset")
    assert unset.before == {"is_primary": True}
    assert unset.actor == world.manager.user
    done = AuditEvent.objects.get(action="project_client.primary_set")
    assert done.after == {"is_primary": True}
    assert done.before["previous_primary"] is not None


def test_pc4_adding_a_company_as_primary_moves_the_mark(world: World) -> None:
    on_project(world, "First")
    project_clients.project_client_add(
        project=world.project, actor=None, new_company_name="Second", make_primary=True
    )
    assert primaries(world.project) == ["Second"]


def test_pc4_setting_the_primary_again_changes_nothing(world: World) -> None:
    first = on_project(world, "First")
    project_clients.project_client_set_primary(project=world.project, company=first, actor=None)
    assert primaries(world.project) == ["First"]
    assert not AuditEvent.objects.filter(action__startswith="project_client.primary").exists()


def test_pc4_set_primary_when_there_is_none(world: World) -> None:
    only = on_project(world, "Only", primary=False)
    project_clients.project_client_set_primary(project=world.project, company=only, actor=None)
    assert primaries(world.project) == ["Only"]
    assert not AuditEvent.objects.filter(action="project_client.primary_unset").exists()


def test_pc4_a_company_not_on_the_project_cannot_be_made_primary(world: World) -> None:
    on_project(world, "First")
    elsewhere = company(world, "Elsewhere")
    with pytest.raises(ValidationError) as excinfo:
        project_clients.project_client_set_primary(
            project=world.project, company=elsewhere, actor=None
        )
    assert "not a client of this project" in errors_of(excinfo)["company"][0]
    assert primaries(world.project) == ["First"]


def test_pc4_another_portals_company_cannot_be_made_primary(world: World) -> None:
    theirs = companies.company_create(portal=world.other_portal, actor=None, name="Theirs")
    project_clients.project_client_add(project=world.other_project, company=theirs, actor=None)
    with pytest.raises(ValidationError):
        project_clients.project_client_set_primary(
            project=world.project, company=theirs, actor=None
        )
    assert primaries(world.project) == []


def test_pc4_the_database_refuses_a_second_primary(world: World) -> None:
    on_project(world, "First")
    second = on_project(world, "Second")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectClient.objects.filter(project=world.project, company=second).update(is_primary=True)
    assert primaries(world.project) == ["First"]


def test_pc4_removing_the_primary_leaves_none(world: World) -> None:
    first = on_project(world, "First")
    on_project(world, "Second")
    project_clients.project_client_remove(
        project=world.project, company=first, actor=world.admin.user
    )
    assert clients_of(world.project) == ["Second"]
    assert primaries(world.project) == []  # no silent promotion


# PC5: removing a company -----------------------------------------------------------------


def test_pc5_removing_a_company_takes_its_client_users_off_the_project(world: World) -> None:
    bowman = on_project(world, "Bowman Furniture")
    other = on_project(world, "Other Co")
    paula = person(world, bowman, "paula@bowman.test", [world.project])
    pete = person(world, bowman, "pete@bowman.test", [world.project])
    olivia = person(world, other, "olivia@other.test", [world.project])
    customised = customise(member_of(world.project, paula))
    second = make_project(world.portal, world.admin, "Second project")
    client_users.client_user_update(
        membership=paula, actor=None, hourly_rate=None, add_projects=[second]
    )

    project_clients.project_client_remove(
        project=world.project, company=bowman, actor=world.admin.user
    )

    assert clients_of(world.project) == ["Other Co"]
    assert not on(world.project, paula)
    assert not on(world.project, pete)
    assert on(world.project, olivia)  # another company's people stay
    assert on(second, paula)  # their other projects stay
    assert not PermissionOverride.objects.filter(pk=customised.pk).exists()
    paula.refresh_from_db()
    assert paula.status == MembershipStatus.INVITED  # still a client user of the portal
    event = AuditEvent.objects.get(action="project_client.removed")
    assert event.actor == world.admin.user
    assert event.before["client_users"] == sorted([paula.pk, pete.pk])
    assert event.before["customisations"] == {str(paula.pk): CUSTOM}
    assert event.before["is_primary"] is True


def test_pc5_a_company_not_on_the_project_cannot_be_removed(world: World) -> None:
    elsewhere = company(world, "Elsewhere")
    with pytest.raises(ValidationError) as excinfo:
        project_clients.project_client_remove(project=world.project, company=elsewhere, actor=None)
    assert "not a client of this project" in errors_of(excinfo)["company"][0]


def test_pc5_another_portals_company_cannot_be_removed(world: World) -> None:
    theirs = companies.company_create(portal=world.other_portal, actor=None, name="Theirs")
    project_clients.project_client_add(project=world.other_project, company=theirs, actor=None)
    with pytest.raises(ValidationError):
        project_clients.project_client_remove(project=world.project, company=theirs, actor=None)
    assert ProjectClient.objects.filter(project=world.other_project, company=theirs).exists()


# PC6: adding client users in one step ----------------------------------------------------


def test_pc6_adds_ticked_people_and_new_people_by_email_in_one_step(world: World) -> None:
    bowman = on_project(world, "Bowman Furniture")
    paula = person(world, bowman, "paula@bowman.test")
    pete = person(world, bowman, "pete@bowman.test")
    invitations_before = Invitation.objects.count()

    added = project_clients.project_client_users_add(
        project=world.project,
        company=bowman,
        actor=world.employee.user,
        members=[paula, pete],
        new_people=[("Nina@Bowman.test", None), ("noah@bowman.test", None)],
    )

    assert [m.user.email for m in added] == [
        "paula@bowman.test",
        "pete@bowman.test",
        "nina@bowman.test",
        "noah@bowman.test",
    ]
    assert all(on(world.project, m) for m in added)
    # New people get invitations as on the portal-level pages (CU2); ticked ones do not.
    assert Invitation.objects.count() == invitations_before + 2
    nina = Membership.objects.get(user__email="nina@bowman.test")
    assert (nina.kind, nina.status, nina.client_company) == (
        MembershipKind.CLIENT,
        MembershipStatus.INVITED,
        bowman,
    )
    assert OutboundEmail.objects.filter(to="nina@bowman.test", kind="client_invitation").exists()
    assert AuditEvent.objects.filter(action="project_member.added").count() == 4


def test_pc6_an_address_of_a_client_user_of_the_company_is_that_person(world: World) -> None:
    bowman = on_project(world, "Bowman Furniture")
    paula = person(world, bowman, "paula@bowman.test")
    emails = OutboundEmail.objects.count()
    added = project_clients.project_client_users_add(
        project=world.project,
        company=bowman,
        actor=None,
        new_people=[("PAULA@bowman.test", None)],
    )
    assert [m.pk for m in added] == [paula.pk]
    assert Membership.objects.filter(user__email="paula@bowman.test").count() == 1
    assert OutboundEmail.objects.count() == emails  # no second invitation


def test_pc6_a_person_known_in_another_portal_is_linked_not_duplicated(world: World) -> None:
    bowman = on_project(world, "Bowman Furniture")
    known = make_user("known@else.test", "Kim Known")
    Membership.objects.create(
        portal=world.other_portal, user=known, kind=MembershipKind.STAFF, role="employee"
    )
    project_clients.project_client_users_add(
        project=world.project, company=bowman, actor=None, new_people=[("Known@else.test", None)]
    )
    assert User.objects.filter(email__iexact="known@else.test").count() == 1
    membership = Membership.objects.get(portal=world.portal, user=known)
    assert on(world.project, membership)


def test_pc6_people_already_on_the_project_are_left_as_they_are(world: World) -> None:
    bowman = on_project(world, "Bowman Furniture")
    paula = person(world, bowman, "paula@bowman.test", [world.project])
    added = project_clients.project_client_users_add(
        project=world.project, company=bowman, actor=None, members=[paula]
    )
    assert added == []
    assert ProjectMember.objects.filter(project=world.project, membership=paula).count() == 1


def test_pc6_new_people_get_the_rate_given(world: World) -> None:
    staff_hours(world)
    bowman = on_project(world, "Bowman Furniture")
    project_clients.project_client_users_add(
        project=world.project,
        company=bowman,
        actor=None,
        new_people=[("nina@bowman.test", Decimal("72.50"))],
    )
    row = ProjectMember.objects.get(
        project=world.project, membership__user__email="nina@bowman.test"
    )
    assert row.hourly_rate == Decimal("72.50")


def test_pc6_a_list_of_emails_shares_one_rate(world: World) -> None:
    staff_hours(world)
    bowman = on_project(world, "Bowman Furniture")
    added = project_clients.project_client_users_add(
        project=world.project,
        company=bowman,
        actor=world.admin.user,
        emails=["nina@bowman.test", "omar@bowman.test"],
        rate=Decimal("60"),
    )
    assert sorted(m.user.email for m in added) == ["nina@bowman.test", "omar@bowman.test"]
    rates = set(
        ProjectMember.objects.filter(project=world.project, membership__in=added).values_list(
            "hourly_rate", flat=True
        )
    )
    assert rates == {Decimal("60")}
    assert Invitation.objects.filter(membership__in=added).count() == 2


def test_pc6_a_user_whose_company_is_not_on_the_project_is_refused(world: World) -> None:
    bowman = on_project(world, "Bowman Furniture")
    elsewhere = company(world, "Elsewhere")
    ella = person(world, elsewhere, "ella@elsewhere.test")
    paula = person(world, bowman, "paula@bowman.test")
    with pytest.raises(ValidationError) as excinfo:
        project_clients.project_client_users_add(
            project=world.project, company=bowman, actor=None, members=[paula, ella]
        )
    message = errors_of(excinfo)["members"][0]
    assert "Elsewhere" in message
    assert "add that company to the project first" in message
    assert not on(world.project, paula)  # all or nothing
    assert clients_of(world.project) == ["Bowman Furniture"]  # the company is not added


def test_pc6_the_same_refusal_for_an_address_of_another_company(world: World) -> None:
    bowman = on_project(world, "Bowman Furniture")
    elsewhere = company(world, "Elsewhere")
    person(world, elsewhere, "ella@elsewhere.test")
    with pytest.raises(ValidationError) as excinfo:
        project_clients.project_client_users_add(
            project=world.project,
            company=bowman,
            actor=None,
            new_people=[("nina@bowman.test", None), ("ella@elsewhere.test", None)],
        )
    assert "add that company to the project first" in errors_of(excinfo)["new_emails"][0]
    assert not Membership.objects.filter(user__email="nina@bowman.test").exists()


def test_pc6_a_user_of_another_company_of_the_project_is_sent_to_their_company(
    world: World,
) -> None:
    bowman = on_project(world, "Bowman Furniture")
    other = on_project(world, "Other Co")
    olivia = person(world, other, "olivia@other.test")
    with pytest.raises(ValidationError) as excinfo:
        project_clients.project_client_users_add(
            project=world.project, company=bowman, actor=None, members=[olivia]
        )
    assert "add them from that company" in errors_of(excinfo)["members"][0]


def test_pc6_a_company_not_on_the_project_is_refused(world: World) -> None:
    elsewhere = company(world, "Elsewhere")
    ella = person(world, elsewhere, "ella@elsewhere.test")
    with pytest.raises(ValidationError) as excinfo:
        project_clients.project_client_users_add(
            project=world.project, company=elsewhere, actor=None, members=[ella]
        )
    assert "add the company to the project first" in errors_of(excinfo)["company"][0]
    assert clients_of(world.project) == []
    assert not on(world.project, ella)


def test_pc6_a_user_of_another_portal_is_refused(world: World) -> None:
    bowman = on_project(world, "Bowman Furniture")
    theirs = companies.company_create(portal=world.other_portal, actor=None, name="Theirs")
    stranger = client_users.client_user_add(
        portal=world.other_portal, actor=None, email="sam@theirs.test", company=theirs
    )
    with pytest.raises(ValidationError) as excinfo:
        project_clients.project_client_users_add(
            project=world.project, company=bowman, actor=None, members=[stranger]
        )
    assert errors_of(excinfo) == {"members": ["Choose client users of this portal."]}
    assert not on(world.project, stranger)


def test_pc6_a_staff_address_is_refused_and_nothing_is_added(world: World) -> None:
    bowman = on_project(world, "Bowman Furniture")
    with pytest.raises(ValidationError) as excinfo:
        project_clients.project_client_users_add(
            project=world.project,
            company=bowman,
            actor=None,
            new_people=[("nina@bowman.test", None), ("outsider@acme.test", None)],
        )
    assert "staff member" in errors_of(excinfo)["new_emails"][0]
    assert not Membership.objects.filter(user__email="nina@bowman.test").exists()
    assert not OutboundEmail.objects.filter(to="nina@bowman.test").exists()


@pytest.mark.parametrize("rate", [Decimal("-1"), Decimal("1.234"), Decimal("NaN")])
def test_pc6_a_bad_rate_is_refused(world: World, rate: Decimal) -> None:
    bowman = on_project(world, "Bowman Furniture")
    with pytest.raises(ValidationError) as excinfo:
        project_clients.project_client_users_add(
            project=world.project, company=bowman, actor=None, new_people=[("n@b.test", rate)]
        )
    assert "hourly_rate" in errors_of(excinfo)
    assert not Membership.objects.filter(user__email="n@b.test").exists()


def test_pc6_nobody_to_add_is_an_error(world: World) -> None:
    bowman = on_project(world, "Bowman Furniture")
    with pytest.raises(ValidationError) as excinfo:
        project_clients.project_client_users_add(project=world.project, company=bowman, actor=None)
    assert "Tick people" in excinfo.value.messages[0]


def test_pc6_a_removed_client_user_cannot_be_ticked(world: World) -> None:
    bowman = on_project(world, "Bowman Furniture")
    gone = person(world, bowman, "gone@bowman.test")
    client_users.client_user_remove(membership=gone, actor=None, notify=False)
    with pytest.raises(ValidationError):
        project_clients.project_client_users_add(
            project=world.project, company=bowman, actor=None, members=[gone]
        )
    # ... but adding them again by email brings them back, with a new invitation.
    project_clients.project_client_users_add(
        project=world.project, company=bowman, actor=None, new_people=[("gone@bowman.test", None)]
    )
    gone.refresh_from_db()
    assert gone.status == MembershipStatus.INVITED
    assert on(world.project, gone)


def test_pc6_candidates_are_the_companys_people_not_on_the_project(world: World) -> None:
    bowman = on_project(world, "Bowman Furniture")
    other = on_project(world, "Other Co")
    person(world, bowman, "paula@bowman.test", full_name="Paula Bowman")
    person(world, bowman, "pete@bowman.test", [world.project])
    person(world, bowman, "quinn@bowman.test", full_name="Quinn Bowman")
    gone = person(world, bowman, "gone@bowman.test")
    client_users.client_user_remove(membership=gone, actor=None, notify=False)
    person(world, other, "olivia@other.test")

    def emails(search: str = "") -> list[str]:
        found = selectors.project_client_user_candidates(
            project=world.project, company=bowman, search=search
        )
        return [m.user.email for m in found]

    assert emails() == ["paula@bowman.test", "quinn@bowman.test"]
    assert emails("quinn") == ["quinn@bowman.test"]
    assert emails("PAULA@") == ["paula@bowman.test"]


def test_pc1_company_choices_are_the_portals_companies_not_on_the_project(
    world: World,
) -> None:
    on_project(world, "On It")
    company(world, "Free Co")
    deleted = company(world, "Deleted Co")
    companies.company_delete(company=deleted, actor=None)
    companies.company_create(portal=world.other_portal, actor=None, name="Theirs")
    names = [c.name for c in selectors.project_company_choices(project=world.project)]
    assert names == [world.client.client_company.name, "Free Co"]


# PC7: the rate on the project ------------------------------------------------------------


def paula_on_project(world: World) -> tuple[Membership, ProjectMember]:
    bowman = on_project(world, "Bowman Furniture")
    paula = person(world, bowman, "paula@bowman.test", [world.project])
    return paula, member_of(world.project, paula)


def test_pc7_staff_edit_a_client_users_rate_on_the_project(world: World) -> None:
    staff_hours(world)
    paula, member = paula_on_project(world)
    project_clients.project_member_rate_update(
        project=world.project, member=member, rate=Decimal("90"), actor=world.employee.user
    )
    member.refresh_from_db()
    paula.refresh_from_db()
    assert member.hourly_rate == Decimal("90")
    assert paula.hourly_rate is None  # the portal rate is another thing (CU6)
    event = AuditEvent.objects.get(action="project_member.rate_changed")
    assert (event.before, event.after) == ({"hourly_rate": None}, {"hourly_rate": "90"})
    # Clearing it is allowed; the same value again records nothing.
    project_clients.project_member_rate_update(
        project=world.project, member=member, rate=None, actor=None
    )
    project_clients.project_member_rate_update(
        project=world.project, member=member, rate=None, actor=None
    )
    member.refresh_from_db()
    assert member.hourly_rate is None
    assert AuditEvent.objects.filter(action="project_member.rate_changed").count() == 2


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        (Decimal("-5"), "cannot be negative"),
        (Decimal("85.555"), "at most"),
        (Decimal("123456789"), "at most"),
        (Decimal("Infinity"), "such as 85"),
        ("85", "such as 85"),  # not a Decimal: a caller's mistake, still a field error
    ],
)
def test_pc7_a_bad_rate_is_refused(world: World, rate: Any, message: str) -> None:
    staff_hours(world)
    _paula, member = paula_on_project(world)
    with pytest.raises(ValidationError) as excinfo:
        project_clients.project_member_rate_update(
            project=world.project, member=member, rate=rate, actor=None
        )
    assert message in errors_of(excinfo)["hourly_rate"][0]
    member.refresh_from_db()
    assert member.hourly_rate is None


def test_pc7_no_member_rate_where_the_project_does_not_bill_staff_hours(world: World) -> None:
    world.portal.invoicing_enabled = True  # CU9: the billing method alone refuses it
    world.portal.save()
    _paula, member = paula_on_project(world)
    with pytest.raises(ValidationError) as excinfo:
        project_clients.project_member_rate_update(
            project=world.project, member=member, rate=Decimal("10"), actor=None
        )
    assert "does not bill staff hours" in errors_of(excinfo)["hourly_rate"][0]


def test_pc7_a_staff_member_or_another_projects_member_is_refused(world: World) -> None:
    staff_hours(world)
    employee = ProjectMember.objects.get(project=world.project, membership=world.employee)
    theirs = ProjectMember.objects.get(project=world.other_project)
    for member in (employee, theirs):
        with pytest.raises(ValidationError):
            project_clients.project_member_rate_update(
                project=world.project, member=member, rate=Decimal("1"), actor=None
            )


# PC8: removing a client user from the project --------------------------------------------


def test_pc8_removes_the_client_user_from_the_project_and_tells_them(world: World) -> None:
    paula, member = paula_on_project(world)
    customise(member)
    second = make_project(world.portal, world.admin, "Second project")
    client_users.client_user_update(
        membership=paula, actor=None, hourly_rate=None, add_projects=[second]
    )

    project_clients.project_client_user_remove(
        project=world.project, member=member, actor=world.admin.user, notify=True
    )

    assert not on(world.project, paula)
    assert on(second, paula)
    assert not PermissionOverride.objects.exists()
    paula.refresh_from_db()
    assert paula.status == MembershipStatus.INVITED  # still a client user of the portal
    event = AuditEvent.objects.get(action="project_member.removed")
    assert event.before["customisation"] == CUSTOM
    assert event.after == {"notified": True}
    email = OutboundEmail.objects.get(kind="client_removed_from_project")
    assert email.to == "paula@bowman.test"
    assert "Website" in email.subject
    assert "Ada Admin removed your access to the project Website in Acme Studio" in (
        email.body_text
    )
    assert "Website" in email.body_html


def test_pc8_without_the_box_no_email(world: World) -> None:
    paula, member = paula_on_project(world)
    project_clients.project_client_user_remove(
        project=world.project, member=member, actor=None, notify=False
    )
    assert not on(world.project, paula)
    assert not OutboundEmail.objects.filter(kind="client_removed_from_project").exists()
    assert ProjectClient.objects.filter(project=world.project).exists()  # the company stays


def test_pc8_the_email_is_in_the_persons_language(world: World) -> None:
    paula, member = paula_on_project(world)
    paula.user.language = "fr"
    paula.user.save()
    project_clients.project_client_user_remove(
        project=world.project, member=member, actor=None, notify=True
    )
    assert OutboundEmail.objects.get(kind="client_removed_from_project").language == "fr"


def test_pc8_a_staff_member_or_another_projects_member_is_refused(world: World) -> None:
    employee = ProjectMember.objects.get(project=world.project, membership=world.employee)
    theirs = ProjectMember.objects.get(project=world.other_project)
    for member in (employee, theirs):
        with pytest.raises(ValidationError):
            project_clients.project_client_user_remove(
                project=world.project, member=member, actor=None, notify=True
            )
    assert ProjectMember.objects.filter(pk__in=[employee.pk, theirs.pk]).count() == 2
    assert not OutboundEmail.objects.exists()


# The Client users tab's reading (PC2, CU9, CU10, PE2) ------------------------------------


def test_pc2_companies_list_the_primary_first_with_their_people_on_the_project(
    world: World,
) -> None:
    alpha = on_project(world, "Alpha", primary=False)
    zulu = on_project(world, "Zulu", primary=True)
    nobody = on_project(world, "Nobody Co", primary=False)
    paula = person(world, alpha, "paula@alpha.test", [world.project], full_name="Paula")
    person(world, alpha, "not-on@alpha.test")
    zed = person(world, zulu, "zed@zulu.test", [world.project], full_name="Zed")
    customise(member_of(world.project, zed))
    world.project.portal = world.portal

    companies_ = selectors.project_client_companies(project=world.project)

    assert [(c.name, c.is_primary, c.people) for c in companies_] == [
        ("Zulu", True, 1),
        ("Alpha", False, 1),
        ("Nobody Co", False, 0),
    ]
    assert companies_[2].company_id == nobody.pk
    members = list(selectors.project_client_members(project=world.project))
    assert [m.membership_id for m in members] == [paula.pk, zed.pk]  # by name
    assert [m.is_customised for m in members] == [False, True]
    of_alpha = selectors.project_client_members(project=world.project, company_id=alpha.pk)
    assert [m.membership_id for m in of_alpha] == [paula.pk]


def test_issue13_the_tab_people_are_searched_by_name_email_or_company(world: World) -> None:
    alpha = on_project(world, "Alpha")
    zulu = on_project(world, "Zulu")
    paula = person(world, alpha, "paula@alpha.test", [world.project], full_name="Paula Émile")
    zed = person(world, zulu, "zed@zulu.test", [world.project], full_name="Zed")

    def found(search: str, company_id: int | None = None) -> list[int]:
        return [
            m.membership_id
            for m in selectors.project_client_members(
                project=world.project, search=search, company_id=company_id
            )
        ]

    assert found("ÉMILE") == [paula.pk]
    assert found("zed@") == [zed.pk]
    assert found("zulu") == [zed.pk]  # the company's name
    assert found("a", company_id=zulu.pk) == []
    assert found("%") == []  # LIKE wildcards are plain characters


def test_pc2_the_tab_reads_cost_the_same_for_1_and_5_companies(
    world: World, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    def fill(count: int, start: int) -> None:
        for n in range(start, start + count):
            made = on_project(world, f"Company {n}")
            for p in range(3):
                member = person(world, made, f"p{p}@c{n}.test", [world.project])
                if p == 0:
                    customise(member_of(world.project, member))

    fill(1, 0)
    world.project.portal = world.portal
    with django_assert_max_num_queries(3):
        assert len(selectors.project_client_companies(project=world.project)) == 1
        assert len(list(selectors.project_client_members(project=world.project))) == 3
    fill(4, 1)
    with django_assert_max_num_queries(3):
        companies_ = selectors.project_client_companies(project=world.project)
        assert [c.people for c in companies_] == [3] * 5
        assert len(list(selectors.project_client_members(project=world.project))) == 15


def test_cu9_project_rates_apply_only_with_invoicing_and_staff_hours(world: World) -> None:
    project = world.project
    assert not selectors.project_rates_apply(project=project)
    project.billing_method = BillingMethod.STAFF_HOURS
    assert not selectors.project_rates_apply(project=project)  # invoicing off
    world.portal.invoicing_enabled = True
    project.portal = world.portal
    assert selectors.project_rates_apply(project=project)
    project.billing_method = BillingMethod.FIXED_COST
    assert not selectors.project_rates_apply(project=project)


def test_pc5_someone_left_over_from_another_company_is_still_shown(world: World) -> None:
    # Data from before this tab existed: a client member whose company is not a client.
    stray = make_member(world.portal, "stray@bowman.test", "client")
    ProjectMember.objects.create(portal=world.portal, project=world.project, membership=stray)
    world.project.portal = world.portal
    companies_ = selectors.project_client_companies(project=world.project)
    assert [(c.name, c.is_client, c.people) for c in companies_] == [("Bowman Test Co", False, 1)]
    members = selectors.project_client_members(project=world.project)
    assert [m.membership_id for m in members] == [stray.pk]


# PC4 under concurrent requests (PostgreSQL: SQLite serialises writers anyway) -------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_pc4_two_concurrent_set_primary_make_exactly_one_primary(world: World) -> None:
    on_project(world, "First")
    contenders = [on_project(world, name) for name in ("Second", "Third")]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def set_primary(index: int) -> None:
        try:
            project = Project.objects.select_related("portal").get(pk=world.project.pk)
            barrier.wait()
            project_clients.project_client_set_primary(
                project=project, company=contenders[index], actor=None
            )
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=set_primary, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(primaries(world.project)) == 1
    assert primaries(world.project)[0] in ("Second", "Third")
    assert AuditEvent.objects.filter(action="project_client.primary_set").count() == 2
