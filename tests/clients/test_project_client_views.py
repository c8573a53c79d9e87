"""The project's Users -> Client users tab and its pages (RULES PC1-PC8, CU9), for the
project's staff only: client users, employees not on the project and other portals'
people get 404; so does any company or person that is not of this portal and project."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.shortcuts import resolve_url
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from portail.access.models import PermissionOverride
from portail.audit.models import AuditEvent
from portail.clients import client_users, project_clients
from portail.clients.companies import company_create
from portail.clients.models import ClientCompany, ProjectClient
from portail.notifications.models import OutboundEmail
from portail.portals.models import Membership
from portail.projects import plans
from portail.projects.models import BillingMethod, Project, ProjectMember
from tests.conftest import World, make_project

pytestmark = pytest.mark.django_db


def url(name: str, world: World, project: Project | None = None, **kwargs: Any) -> str:
    project = project or world.project
    return resolve_url(
        f"project-clients:{name}", portal_slug="acme", project_id=project.pk, **kwargs
    )


def company(world: World, name: str, on: bool = True) -> ClientCompany:
    made = company_create(portal=world.portal, actor=None, name=name)
    if on:
        project_clients.project_client_add(project=world.project, company=made, actor=None)
    return made


def person(world: World, of: ClientCompany, email: str, on: bool = True) -> Membership:
    return client_users.client_user_add(
        portal=world.portal,
        actor=None,
        email=email,
        company=of,
        projects=[world.project] if on else [],
    )


def member_of(project: Project, membership: Membership) -> ProjectMember:
    member = ProjectMember.objects.filter(project=project, membership=membership).first()
    assert member is not None
    return member


def primaries(world: World) -> list[str]:
    return list(
        ProjectClient.objects.filter(project=world.project, is_primary=True).values_list(
            "company__name", flat=True
        )
    )


def theirs(world: World) -> tuple[ClientCompany, Membership]:
    """A company and client user of the other portal, on its project."""
    other = company_create(
        portal=world.other_portal, actor=None, name="Theirs", projects=[world.other_project]
    )
    sam = client_users.client_user_add(
        portal=world.other_portal,
        actor=None,
        email="sam@theirs.test",
        company=other,
        projects=[world.other_project],
    )
    return other, sam


@pytest.fixture
def bowman(world: World) -> ClientCompany:
    return company(world, "Bowman Furniture")


@pytest.fixture
def paula(world: World, bowman: ClientCompany) -> Membership:
    return person(world, bowman, "paula@bowman.test")


def bill_staff_hours(world: World) -> None:
    """Invoicing on, and the project billed on staff hours: rate fields show (CU9)."""
    world.portal.invoicing_enabled = True
    world.portal.save()
    world.project.billing_method = BillingMethod.STAFF_HOURS
    world.project.save()


# Who may use the tab ---------------------------------------------------------------------


def test_pc_the_tab_is_for_the_projects_staff_only(
    world: World, bowman: ClientCompany, paula: Membership
) -> None:
    # The client persona is put on the project: a client user of it still gets 404.
    own = world.client.client_company
    assert own is not None
    project_clients.project_client_add(project=world.project, company=own, actor=None)
    project_clients.project_client_users_add(
        project=world.project, company=own, actor=None, members=[world.client]
    )
    pages = [
        ("get", url("list", world)),
        ("get", url("company-add", world)),
        ("post", url("company-primary", world, company_id=bowman.pk)),
        ("get", url("company-remove", world, company_id=bowman.pk)),
        ("get", url("users-add", world, company_id=bowman.pk)),
        ("get", url("user-edit", world, membership_id=paula.pk)),
        ("get", url("user-remove", world, membership_id=paula.pk)),
    ]
    for who, expected in [
        (world.client, 404),
        (world.outsider, 404),
        (world.other_admin, 404),
        (paula, 404),
    ]:
        browser = world.client_for(who)
        assert [getattr(browser, m)(u).status_code for m, u in pages] == [expected] * len(pages)
    for who in (world.admin, world.manager, world.employee):
        browser = world.client_for(who)
        statuses = [browser.get(u).status_code for m, u in pages if m == "get"]
        assert statuses == [200] * 6
    assert Client().get(url("list", world)).status_code == 302  # anonymous: sign in


def test_pc_methods_are_declared(world: World, bowman: ClientCompany, paula: Membership) -> None:
    admin = world.client_for(world.admin)
    assert admin.post(url("list", world)).status_code == 405
    assert admin.get(url("company-primary", world, company_id=bowman.pk)).status_code == 405
    assert admin.put(url("company-add", world)).status_code == 405


# The list ----------------------------------------------------------------------------------


def test_pc2_the_tab_lists_companies_primary_first_with_their_people(
    world: World, bowman: ClientCompany, paula: Membership
) -> None:
    other = company(world, "Another Co")
    olivia = person(world, other, "olivia@another.test")
    PermissionOverride.objects.create(
        portal=world.portal, member=member_of(world.project, olivia), permissions={}
    )
    page = world.client_for(world.employee).get(url("list", world))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("Bowman Furniture") < html.index("Another Co")
    assert html.count("badge-primary") == 1
    assert "paula@bowman.test" in html
    assert "olivia@another.test" in html
    assert html.count("badge-customised") == 1
    assert "Set as primary" in html  # for Another Co
    assert "pending" in html  # invitation state (CU10)
    assert "Edit rate" not in html
    assert "Project rate" not in html
    member_show = resolve_url(
        "member-permissions:show",
        portal_slug="acme",
        project_id=world.project.pk,
        membership_id=paula.pk,
    )
    assert member_show in html
    view_as = resolve_url(
        "projects:view-as", portal_slug="acme", project_id=world.project.pk, membership_id=paula.pk
    )
    assert view_as in html


def test_cu9_the_project_rate_shows_when_the_project_bills_staff_hours(
    world: World, paula: Membership
) -> None:
    bill_staff_hours(world)
    member = member_of(world.project, paula)
    member.hourly_rate = Decimal("77.50")
    member.save()
    html = world.client_for(world.admin).get(url("list", world)).content.decode()
    assert "Project rate" in html
    assert "77.50 EUR" in html
    assert "Edit rate" in html


def test_pc_an_empty_tab_offers_to_add_a_company(world: World) -> None:
    html = world.client_for(world.admin).get(url("list", world)).content.decode()
    assert "No client companies on this project yet." in html
    assert url("company-add", world) in html


def test_pc2_the_tab_costs_the_same_for_1_and_5_companies(
    world: World, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    admin = world.client_for(world.admin)

    def fill(start: int, count: int) -> None:
        for n in range(start, start + count):
            made = company(world, f"Company {n}")
            for p in range(2):
                person(world, made, f"p{p}@c{n}.test")

    fill(0, 1)
    admin.get(url("list", world))  # warm the session
    with django_assert_max_num_queries(12) as one:
        admin.get(url("list", world))
    fill(1, 4)
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = admin.get(url("list", world))
    assert page.content.decode().count('id="client-user-') == 10


# PC1: adding a company -----------------------------------------------------------------------


def test_pc1_add_an_existing_company(world: World) -> None:
    free = company(world, "Free Co", on=False)
    admin = world.client_for(world.admin)
    page = admin.get(url("company-add", world))
    assert page.context["form"]["make_primary"].initial is True  # PC3: the project has none
    assert "Free Co" in page.content.decode()
    response = admin.post(url("company-add", world), {"company": free.pk, "make_primary": "on"})
    assert response.status_code == 302
    assert response["Location"] == url("list", world) + f"?company={free.pk}#company-{free.pk}"
    assert primaries(world) == ["Free Co"]
    assert AuditEvent.objects.filter(action="project_client.added", actor=world.admin.user).exists()


def test_pc1_create_a_company_there_without_making_it_primary(
    world: World, bowman: ClientCompany
) -> None:
    admin = world.client_for(world.admin)
    assert admin.get(url("company-add", world)).context["form"]["make_primary"].initial is False
    response = admin.post(url("company-add", world), {"new_company_name": "Vasseur"})
    assert response.status_code == 302
    assert ProjectClient.objects.filter(project=world.project, company__name="Vasseur").exists()
    assert primaries(world) == ["Bowman Furniture"]


def test_pc4_add_a_company_as_the_new_primary(world: World, bowman: ClientCompany) -> None:
    world.client_for(world.admin).post(
        url("company-add", world), {"new_company_name": "Vasseur", "make_primary": "on"}
    )
    assert primaries(world) == ["Vasseur"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "company"),
        ({"new_company_name": "Bowman furniture"}, "new_company_name"),  # name taken
        ({"company": "on-project", "new_company_name": "X"}, "new_company_name"),
        ({"company": "on-project"}, "company"),  # already a client
    ],
)
def test_pc1_bad_input_is_named_and_changes_nothing(
    world: World, bowman: ClientCompany, data: dict[str, Any], field: str
) -> None:
    if data.get("company") == "on-project":
        data["company"] = bowman.pk
    before = ClientCompany.objects.count()
    page = world.client_for(world.admin).post(url("company-add", world), data)
    assert page.status_code == 200
    assert field in page.context["form"].errors or (
        field == "new_company_name" and "name" not in page.context["form"].fields
    )
    assert ClientCompany.objects.count() == before
    assert list(ProjectClient.objects.filter(project=world.project)) == [
        ProjectClient.objects.get(company=bowman)
    ]


def test_pc1_another_portals_company_is_404(world: World) -> None:
    other, _sam = theirs(world)
    response = world.client_for(world.admin).post(url("company-add", world), {"company": other.pk})
    assert response.status_code == 404
    assert not ProjectClient.objects.filter(project=world.project).exists()


# PC4: set as primary -------------------------------------------------------------------------


def test_pc4_set_another_company_as_primary(world: World, bowman: ClientCompany) -> None:
    other = company(world, "Another Co")
    response = world.client_for(world.employee).post(
        url("company-primary", world, company_id=other.pk)
    )
    assert response.status_code == 302
    assert primaries(world) == ["Another Co"]
    assert AuditEvent.objects.filter(
        action="project_client.primary_set", actor=world.employee.user
    ).exists()
    assert AuditEvent.objects.filter(action="project_client.primary_unset").exists()


def test_pc4_set_primary_of_a_company_not_on_this_project_is_404(
    world: World, bowman: ClientCompany
) -> None:
    free = company(world, "Free Co", on=False)
    other, _sam = theirs(world)
    admin = world.client_for(world.admin)
    for company_id in (free.pk, other.pk, 999999):
        assert admin.post(url("company-primary", world, company_id=company_id)).status_code == 404
    assert primaries(world) == ["Bowman Furniture"]


# PC5: removing a company -----------------------------------------------------------------------


def test_pc5_the_confirmation_says_what_happens_then_removes(
    world: World, bowman: ClientCompany, paula: Membership
) -> None:
    person(world, bowman, "pete@bowman.test")
    admin = world.client_for(world.admin)
    page = admin.get(url("company-remove", world, company_id=bowman.pk))
    html = page.content.decode()
    assert "Its 2 client users lose access to this project" in html
    assert "paula@bowman.test" in html
    assert "left without one" in html  # it is the primary client
    response = admin.post(url("company-remove", world, company_id=bowman.pk))
    assert response.status_code == 302
    assert not ProjectClient.objects.filter(project=world.project).exists()
    assert not ProjectMember.objects.filter(project=world.project, membership=paula).exists()
    assert AuditEvent.objects.filter(action="project_client.removed").exists()


def on_project_with_a_task(world: World) -> Any:
    """The world's client (active) on the project, through their company, with a task they
    added and one they are assigned to."""
    own = world.client.client_company
    assert own is not None
    project_clients.project_client_add(project=world.project, company=own, actor=None)
    project_clients.project_client_users_add(
        project=world.project, company=own, members=[world.client], new_people=[], actor=None
    )
    added = plans.task_create(project=world.project, title="Paul's idea", created_by=world.client)
    assigned = plans.task_create(
        project=world.project,
        title="Send the logo",
        created_by=world.admin,
        assignee=world.client,
        client_visible=True,
    )
    return own, added, assigned


def test_pc5_pc8_a_removed_client_user_loses_the_project_and_their_history_stays(
    world: World,
) -> None:
    """Removed by company (PC5) or one by one (PC8): the project answers 404 to them at once,
    and the tasks they added or were given keep their author and assignee."""
    paul = world.client_for(world.client)
    project_page = resolve_url("projects:detail", portal_slug="acme", project_id=world.project.pk)
    admin = world.client_for(world.admin)
    for remove in ("company", "user"):
        own, added, assigned = on_project_with_a_task(world)
        assert paul.get(project_page).status_code == 200
        if remove == "company":
            admin.post(url("company-remove", world, company_id=own.pk))
        else:
            admin.post(url("user-remove", world, membership_id=world.client.pk), {})
        assert paul.get(project_page).status_code == 404, remove
        added.refresh_from_db()
        assigned.refresh_from_db()
        assert (added.created_by_id, assigned.assignee_id) == (world.client.pk, world.client.pk)
        added.delete()
        assigned.delete()


def test_pc5_a_company_not_on_this_project_is_404(world: World, bowman: ClientCompany) -> None:
    other, _sam = theirs(world)
    free = company(world, "Free Co", on=False)
    admin = world.client_for(world.admin)
    for company_id in (other.pk, free.pk):
        assert admin.get(url("company-remove", world, company_id=company_id)).status_code == 404
        assert admin.post(url("company-remove", world, company_id=company_id)).status_code == 404
    assert ProjectClient.objects.filter(company=other).exists()


# PC6: adding people -----------------------------------------------------------------------------


def test_pc6_tick_people_and_add_new_ones_in_one_step(world: World, bowman: ClientCompany) -> None:
    paula = person(world, bowman, "paula@bowman.test", on=False)
    person(world, bowman, "pete@bowman.test", on=False)
    admin = world.client_for(world.admin)
    page = admin.get(url("users-add", world, company_id=bowman.pk))
    html = page.content.decode()
    assert "paula@bowman.test" in html
    assert "pete@bowman.test" in html
    assert "hourly_rate" not in page.context["form"].fields  # CU9
    searched = admin.get(url("users-add", world, company_id=bowman.pk) + "?q=pete")
    assert "pete@bowman.test" in searched.content.decode()
    assert "paula@bowman.test" not in searched.content.decode()

    response = admin.post(
        url("users-add", world, company_id=bowman.pk),
        {
            "members": [paula.pk],
            "new_emails": "nina@bowman.test\n\nnoah@bowman.test, NINA@bowman.test",
        },
    )
    assert response.status_code == 302
    on = set(
        ProjectMember.objects.filter(project=world.project).values_list(
            "membership__user__email", flat=True
        )
    )
    assert {"paula@bowman.test", "nina@bowman.test", "noah@bowman.test"} <= on
    assert "pete@bowman.test" not in on
    assert OutboundEmail.objects.filter(kind="client_invitation").count() == 4  # 2 + 2 earlier


def test_pc6_new_people_get_the_rate_when_the_project_bills_staff_hours(
    world: World, bowman: ClientCompany
) -> None:
    bill_staff_hours(world)
    admin = world.client_for(world.admin)
    bad = admin.post(
        url("users-add", world, company_id=bowman.pk),
        {"new_emails": "nina@bowman.test", "hourly_rate": "-3"},
    )
    assert bad.status_code == 200
    assert bad.context["form"].errors["hourly_rate"] == ["A rate cannot be negative."]
    admin.post(
        url("users-add", world, company_id=bowman.pk),
        {"new_emails": "nina@bowman.test", "hourly_rate": "64.5"},
    )
    row = ProjectMember.objects.get(membership__user__email="nina@bowman.test")
    assert row.hourly_rate == Decimal("64.50")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "__all__", "Tick people of the company or enter email addresses."),
        ({"new_emails": "not-an-address"}, "new_emails", "Not an email address: not-an-address."),
        ({"new_emails": "outsider@acme.test"}, "new_emails", "a staff member of this portal"),
        ({"members": ["other-company"]}, "members", "not on the project yet"),
    ],
)
def test_pc6_bad_input_is_named_and_changes_nothing(
    world: World, bowman: ClientCompany, data: dict[str, Any], field: str, message: str
) -> None:
    elsewhere = company(world, "Elsewhere", on=False)
    ella = person(world, elsewhere, "ella@elsewhere.test", on=False)
    if data.get("members") == ["other-company"]:
        data["members"] = [ella.pk]
    before = ProjectMember.objects.count()
    page = world.client_for(world.admin).post(url("users-add", world, company_id=bowman.pk), data)
    assert page.status_code == 200
    assert any(message in error for error in page.context["form"].errors[field])
    assert ProjectMember.objects.count() == before


def test_pc6_a_company_not_on_the_project_is_refused_clearly(world: World) -> None:
    elsewhere = company(world, "Elsewhere", on=False)
    ella = person(world, elsewhere, "ella@elsewhere.test", on=False)
    admin = world.client_for(world.admin)
    for response in (
        admin.get(url("users-add", world, company_id=elsewhere.pk), follow=True),
        admin.post(
            url("users-add", world, company_id=elsewhere.pk), {"members": [ella.pk]}, follow=True
        ),
    ):
        assert response.redirect_chain[-1][0] == url("list", world)
        assert "add the company to the project first" in response.content.decode()
    assert not ProjectMember.objects.filter(membership=ella).exists()
    assert not ProjectClient.objects.filter(company=elsewhere).exists()


def test_pc6_another_portals_company_or_person_is_404(world: World, bowman: ClientCompany) -> None:
    other, sam = theirs(world)
    admin = world.client_for(world.admin)
    assert admin.get(url("users-add", world, company_id=other.pk)).status_code == 404
    response = admin.post(url("users-add", world, company_id=bowman.pk), {"members": [sam.pk]})
    assert response.status_code == 404
    assert not ProjectMember.objects.filter(project=world.project, membership=sam).exists()


# PC7: the rate -----------------------------------------------------------------------------------


def test_pc7_edit_the_rate_on_the_project(world: World, paula: Membership) -> None:
    bill_staff_hours(world)
    admin = world.client_for(world.admin)
    assert admin.get(url("user-edit", world, membership_id=paula.pk)).status_code == 200
    for bad, message in [
        ("-1", "A rate cannot be negative."),
        ("abc", "Enter an amount such as 85 or 85.50."),
        ("1.234", "Enter at most 2 digits after the point."),
    ]:
        page = admin.post(url("user-edit", world, membership_id=paula.pk), {"hourly_rate": bad})
        assert page.status_code == 200
        assert page.context["form"].errors["hourly_rate"] == [message]
    assert member_of(world.project, paula).hourly_rate is None
    response = admin.post(url("user-edit", world, membership_id=paula.pk), {"hourly_rate": "88"})
    assert response.status_code == 302
    assert member_of(world.project, paula).hourly_rate == Decimal("88")
    assert AuditEvent.objects.filter(
        action="project_member.rate_changed", actor=world.admin.user
    ).exists()


def test_pc7_a_french_reader_types_and_reads_the_rate_with_a_decimal_comma(
    world: World, paula: Membership
) -> None:
    bill_staff_hours(world)
    world.admin.user.language = "fr"
    world.admin.user.save()
    admin = world.client_for(world.admin)
    edit = url("user-edit", world, membership_id=paula.pk)
    assert admin.post(edit, {"hourly_rate": "85,50"}).status_code == 302
    assert member_of(world.project, paula).hourly_rate == Decimal("85.50")
    page = admin.get(edit).content.decode()
    assert 'value="85,50"' in page
    assert 'inputmode="decimal"' in page
    # A point still works for someone who types it that way.
    assert admin.post(edit, {"hourly_rate": "90.25"}).status_code == 302
    assert member_of(world.project, paula).hourly_rate == Decimal("90.25")


def test_cu9_no_rate_to_edit_where_the_project_does_not_bill_staff_hours(
    world: World, paula: Membership
) -> None:
    admin = world.client_for(world.admin)
    page = admin.get(url("user-edit", world, membership_id=paula.pk))
    assert page.status_code == 200
    assert "does not bill staff hours" in page.content.decode()
    page = admin.post(url("user-edit", world, membership_id=paula.pk), {"hourly_rate": "5"})
    assert page.status_code == 200
    assert member_of(world.project, paula).hourly_rate is None


def test_pc7_pc8_someone_not_a_client_user_of_this_project_is_404(
    world: World, bowman: ClientCompany
) -> None:
    _other, sam = theirs(world)
    not_on = person(world, bowman, "not-on@bowman.test", on=False)
    second = make_project(world.portal, world.admin, "Second project")
    client_users.client_user_update(
        membership=not_on, actor=None, hourly_rate=None, add_projects=[second]
    )
    admin = world.client_for(world.admin)
    for membership_id in (sam.pk, not_on.pk, world.employee.pk, 999999):
        for name in ("user-edit", "user-remove"):
            assert admin.get(url(name, world, membership_id=membership_id)).status_code == 404
            assert admin.post(url(name, world, membership_id=membership_id)).status_code == 404
    assert ProjectMember.objects.filter(project=second, membership=not_on).exists()


# PC8: removing a person ------------------------------------------------------------------------


def test_pc8_remove_a_client_user_and_let_them_know(world: World, paula: Membership) -> None:
    admin = world.client_for(world.admin)
    page = admin.get(url("user-remove", world, membership_id=paula.pk))
    assert page.context["form"]["notify"].initial is True
    assert "They lose access to this project." in page.content.decode()
    response = admin.post(url("user-remove", world, membership_id=paula.pk), {"notify": "on"})
    assert response.status_code == 302
    assert not ProjectMember.objects.filter(project=world.project, membership=paula).exists()
    assert Membership.objects.filter(pk=paula.pk).exists()
    assert OutboundEmail.objects.filter(
        kind="client_removed_from_project", to="paula@bowman.test"
    ).exists()
    assert AuditEvent.objects.filter(action="project_member.removed", actor=world.admin.user)


def test_pc8_remove_without_telling_them(world: World, paula: Membership) -> None:
    world.client_for(world.employee).post(url("user-remove", world, membership_id=paula.pk), {})
    assert not ProjectMember.objects.filter(project=world.project, membership=paula).exists()
    assert not OutboundEmail.objects.filter(kind="client_removed_from_project").exists()


def test_pc8_after_a_removal_the_tab_shows_their_company_or_everyone_when_it_is_not_a_client(
    world: World, bowman: ClientCompany, paula: Membership
) -> None:
    """Back on the tab after removing someone: their company's people when the company
    is a client of the project; every company when it is not (a person left over from a
    company taken off the project), with no "not a client company" alert."""
    admin = world.client_for(world.admin)
    response = admin.post(url("user-remove", world, membership_id=paula.pk), {})
    assert response["Location"] == f"{url('list', world)}?company={bowman.pk}#company-{bowman.pk}"

    stray_company = world.client.client_company
    assert stray_company is not None
    assert not ProjectClient.objects.filter(project=world.project, company=stray_company).exists()
    ProjectMember.objects.create(
        portal=world.portal, project=world.project, membership=world.client
    )
    response = admin.post(url("user-remove", world, membership_id=world.client.pk), {}, follow=True)
    assert response.redirect_chain == [(url("list", world), 302)]
    page = response.content.decode()
    assert "no longer has access to this project" in page
    assert "This is not a client company of this project" not in page
