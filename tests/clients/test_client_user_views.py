"""The client users pages (RULES CU1, CU5-CU7, CU9, CC5), for admins only."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.shortcuts import resolve_url
from pytest_django import DjangoAssertNumQueries

from portail.access.models import ClientProfile
from portail.clients import client_users, companies
from portail.clients.models import ClientCompany
from portail.notifications.models import OutboundEmail
from portail.portals.models import Membership, MembershipKind, MembershipStatus
from portail.projects.models import BillingMethod, ProjectMember
from tests.conftest import World, make_project

pytestmark = pytest.mark.django_db


def url(name: str, **kwargs: Any) -> str:
    return resolve_url(f"clients:{name}", portal_slug="acme", **kwargs)


def company(world: World, name: str = "Bowman Furniture's") -> ClientCompany:
    return companies.company_create(portal=world.portal, actor=None, name=name)


def default_profile(world: World) -> int:
    profile = ClientProfile.objects.filter(portal=world.portal, is_default=True).first()
    assert profile is not None
    return profile.pk


def add_form(world: World, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "email": "paula@bowman.test",
        "full_name": "",
        "company": "",
        "new_company_name": "Bowman Furniture's",
        "profile": default_profile(world),
        "projects": [world.project.pk],
    }
    data.update(overrides)
    return data


def test_cu1_the_add_page_adds_and_invites(world: World) -> None:
    client = world.client_for(world.admin)
    page = client.get(url("user-add"))
    assert page.status_code == 200
    assert "hourly_rate" not in page.context["form"].fields  # CU9: invoicing is off
    response = client.post(url("user-add"), add_form(world))
    assert response.status_code == 302
    assert response["Location"] == url("users")
    person = Membership.objects.get(user__email="paula@bowman.test")
    assert person.status == MembershipStatus.INVITED
    assert person.client_company is not None
    assert person.client_company.name == "Bowman Furniture's"
    assert OutboundEmail.objects.filter(to="paula@bowman.test").count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "nope"}, "email"),
        ({"company": "", "new_company_name": ""}, "company"),
        ({"projects": []}, "projects"),
        ({"hourly_rate": "-3"}, "hourly_rate"),
        ({"hourly_rate": "abc"}, "hourly_rate"),
        ({"hourly_rate": "1.234"}, "hourly_rate"),
        ({"hourly_rate": "123456789"}, "hourly_rate"),
    ],
)
def test_cu1_bad_input_is_a_field_error_and_changes_nothing(
    world: World, overrides: dict[str, Any], field: str
) -> None:
    world.portal.invoicing_enabled = True
    world.portal.save()
    response = world.client_for(world.admin).post(url("user-add"), add_form(world, **overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Membership.objects.filter(user__email="paula@bowman.test").exists()
    assert not ClientCompany.objects.filter(name="Bowman Furniture's").exists()


def test_cu1_duplicate_email_any_case_is_a_field_error(world: World) -> None:
    response = world.client_for(world.admin).post(
        url("user-add"), add_form(world, email=world.client.user.email.upper())
    )
    assert "already a member of this portal" in response.context["form"].errors["email"][0]


def test_cu1_a_company_or_profile_of_another_portal_by_id_is_404(world: World) -> None:
    client = world.client_for(world.admin)
    theirs = company_of_other_portal = companies.company_create(
        portal=world.other_portal, actor=None, name="Far"
    )
    assert theirs is company_of_other_portal
    response = client.post(url("user-add"), add_form(world, company=theirs.pk, new_company_name=""))
    assert response.status_code == 404
    other_profile = ClientProfile.objects.create(portal=world.other_portal, name="Theirs")
    response = client.post(url("user-add"), add_form(world, profile=other_profile.pk))
    assert response.status_code == 404
    assert not Membership.objects.filter(user__email="paula@bowman.test").exists()


def test_cu9_the_rate_field_shows_when_invoicing_is_enabled(world: World) -> None:
    world.portal.invoicing_enabled = True
    world.portal.save()
    client = world.client_for(world.admin)
    assert "hourly_rate" in client.get(url("user-add")).context["form"].fields
    client.post(url("user-add"), add_form(world, hourly_rate="85.50"))
    person = Membership.objects.get(user__email="paula@bowman.test")
    assert person.hourly_rate == Decimal("85.50")


def test_cc5_add_client_company_is_a_secondary_action_of_add_client_user(world: World) -> None:
    html = world.client_for(world.admin).get(url("users")).content.decode()
    assert url("user-add") in html
    assert url("company-create") in html
    assert html.index(url("user-add")) < html.index(url("company-create"))


def test_the_list_groups_by_company_searches_and_shows_status(world: World) -> None:
    bowman = company(world)
    client_users.client_user_add(
        portal=world.portal,
        actor=None,
        email="zoe@bowman.test",
        full_name="Zoé Martin",
        company=bowman,
        projects=[world.project],
    )
    client = world.client_for(world.admin)
    page = client.get(url("users"))
    html = page.content.decode()
    assert "Bowman Furniture&#x27;s" in html
    assert "Bowman Test Co" in html
    assert "zoe@bowman.test" in html
    assert world.client.user.email in html
    assert url("company-users-add", company_id=bowman.pk) in html
    found = client.get(url("users"), {"q": "MARTIN"})
    assert [row.person.user.email for row in found.context["rows"]] == ["zoe@bowman.test"]
    found = client.get(url("users"), {"q": "test co"})
    assert [row.person.user.email for row in found.context["rows"]] == [world.client.user.email]
    # Accented capitals match too, on SQLite as on PostgreSQL (portail.sqlite_unicode).
    found = client.get(url("users"), {"q": "ZOÉ"})
    assert [row.person.user.email for row in found.context["rows"]] == ["zoe@bowman.test"]
    found = client.get(url("users"), {"q": "zo_"})  # LIKE wildcards are plain characters
    assert found.context["rows"] == []


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_query_count_does_not_grow(
    world: World, count: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    bowman = company(world)
    for i in range(count):
        client_users.client_user_add(
            portal=world.portal,
            actor=None,
            email=f"p{i}@bowman.test",
            company=bowman,
            projects=[world.project],
        )
    client = world.client_for(world.admin)
    with django_assert_max_num_queries(10):
        response = client.get(url("users"))
    assert len(response.context["rows"]) == count + 1


def test_cu5_add_people_to_this_company(world: World) -> None:
    bowman = company(world)
    client = world.client_for(world.admin)
    response = client.post(
        url("company-users-add", company_id=bowman.pk),
        {"emails": "a@bowman.test, b@bowman.test\nA@bowman.test", "projects": [world.project.pk]},
    )
    assert response.status_code == 302
    emails = set(
        Membership.objects.filter(client_company=bowman).values_list("user__email", flat=True)
    )
    assert emails == {"a@bowman.test", "b@bowman.test"}


def test_cu5_a_malformed_address_is_named(world: World) -> None:
    bowman = company(world)
    response = world.client_for(world.admin).post(
        url("company-users-add", company_id=bowman.pk),
        {"emails": "a@bowman.test\nnot an address", "projects": [world.project.pk]},
    )
    assert "not an address" in response.context["form"].errors["emails"][0]
    assert not Membership.objects.filter(client_company=bowman).exists()


def test_cu6_edit_page_changes_rates_and_adds_projects(world: World) -> None:
    world.portal.invoicing_enabled = True
    world.portal.save()
    world.project.billing_method = BillingMethod.STAFF_HOURS
    world.project.save()
    shop = make_project(world.portal, world.admin, "Shop")
    person = world.client
    ProjectMember.objects.create(portal=world.portal, project=world.project, membership=person)
    client = world.client_for(world.admin)
    page = client.get(url("user-edit", membership_id=person.pk))
    assert f"rate_{world.project.pk}" in page.context["form"].fields
    response = client.post(
        url("user-edit", membership_id=person.pk),
        {
            "profile": person.client_profile_id,
            "hourly_rate": "70",
            f"rate_{world.project.pk}": "75",
            "add_projects": [shop.pk],
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.hourly_rate == Decimal("70")
    rates = dict(
        ProjectMember.objects.filter(membership=person).values_list("project_id", "hourly_rate")
    )
    assert rates == {world.project.pk: Decimal("75"), shop.pk: Decimal("70")}


def test_cu9_no_project_rate_for_a_project_not_billed_by_staff_hours(world: World) -> None:
    world.portal.invoicing_enabled = True
    world.portal.save()
    ProjectMember.objects.create(
        portal=world.portal, project=world.project, membership=world.client
    )
    page = world.client_for(world.admin).get(url("user-edit", membership_id=world.client.pk))
    assert f"rate_{world.project.pk}" not in page.context["form"].fields


def test_cu7_remove_page_with_let_the_user_know(world: World) -> None:
    client = world.client_for(world.admin)
    page = client.get(url("user-remove", membership_id=world.client.pk))
    assert "Let the user know" in page.content.decode()
    response = client.post(url("user-remove", membership_id=world.client.pk), {"notify": "on"})
    assert response.status_code == 302
    world.client.refresh_from_db()
    assert world.client.status == MembershipStatus.DEACTIVATED
    assert OutboundEmail.objects.filter(to=world.client.user.email).count() == 1


def test_a_staff_membership_or_another_portals_client_is_404(world: World) -> None:
    client = world.client_for(world.admin)
    assert client.get(url("user-edit", membership_id=world.employee.pk)).status_code == 404
    theirs = Membership.objects.create(
        portal=world.other_portal,
        user=world.client.user,
        kind=MembershipKind.CLIENT,
        client_company=companies.company_create(portal=world.other_portal, actor=None, name="F"),
        client_profile=ClientProfile.objects.create(portal=world.other_portal, name="P"),
    )
    assert client.get(url("user-edit", membership_id=theirs.pk)).status_code == 404
    assert client.post(url("user-remove", membership_id=theirs.pk)).status_code == 404


def test_non_admins_cannot_open_the_client_users_pages(world: World) -> None:
    for persona in (world.manager, world.employee, world.client):
        response = world.client_for(persona).get(url("users"))
        assert response.status_code in (403, 404)


def test_pe1_a_client_user_sees_the_projects_they_are_on_with_progress(world: World) -> None:
    make_project(world.portal, world.admin, "Not theirs")
    ProjectMember.objects.create(
        portal=world.portal, project=world.project, membership=world.client
    )
    page = world.client_for(world.client).get(resolve_url("projects:list", portal_slug="acme"))
    assert [row.project.name for row in page.context["rows"]] == ["Website"]
    # Their project opens (CX2); a project they are not on does not exist for them.
    detail = resolve_url("projects:detail", portal_slug="acme", project_id=world.project.pk)
    assert world.client_for(world.client).get(detail).status_code == 200


def test_pe1_a_profile_without_project_view_shows_no_project(world: World) -> None:
    ProjectMember.objects.create(
        portal=world.portal, project=world.project, membership=world.client
    )
    blind = ClientProfile.objects.create(portal=world.portal, name="Blind", permissions={})
    Membership.objects.filter(pk=world.client.pk).update(client_profile=blind)
    page = world.client_for(world.client).get(resolve_url("projects:list", portal_slug="acme"))
    assert list(page.context["rows"]) == []
    assert "Nothing to show yet." in page.content.decode()
