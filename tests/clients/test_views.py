"""The client company pages do what their buttons say, through the services."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from portail.audit.models import AuditEvent
from portail.clients.companies import company_create, company_delete
from portail.clients.models import ClientCompany, ProjectClient
from portail.projects.models import Project, ProjectStatus
from tests.clients.conftest import curl, made_companies
from tests.conftest import CLIENT_COMPANY, World, make_project

pytestmark = pytest.mark.django_db


def form_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Bowman Furniture's",
        "contact_email": "",
        "website": "",
        "street": "",
        "city": "",
        "region": "",
        "postal_code": "",
        "country": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def make_company(world: World, name: str = "Bowman", **kwargs: Any) -> ClientCompany:
    return company_create(portal=world.portal, actor=world.admin.user, name=name, **kwargs)


# CC1 --------------------------------------------------------------------------------------


def test_cc1_admin_adds_a_company_with_projects(world: World) -> None:
    shop = make_project(world.portal, world.admin, "Shop")
    response = world.client_for(world.admin).post(
        curl("company-create"),
        form_data(
            name="  Bowman Furniture's ",
            contact_email="office@bowman.test",
            website="bowman.test",
            city="Lyon",
            country="FR",
            projects=[world.project.pk, shop.pk],
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == curl("companies")
    company = made_companies().get()
    assert (company.name, company.website, company.country.code) == (
        "Bowman Furniture's",
        "https://bowman.test",
        "FR",
    )
    assert set(company.project_links.values_list("project_id", "is_primary")) == {
        (world.project.pk, True),
        (shop.pk, True),
    }


def test_cc1_form_offers_the_portals_current_projects_only(world: World) -> None:
    archived = make_project(world.portal, world.admin, "Old")
    Project.objects.filter(pk=archived.pk).update(status=ProjectStatus.ARCHIVED)
    response = world.client_for(world.admin).get(curl("company-create"))
    assert response.status_code == 200
    assert set(response.context["form"].fields["projects"].queryset) == {world.project}


def test_cc1_a_project_of_another_portal_is_a_field_error(world: World) -> None:
    response = world.client_for(world.admin).post(
        curl("company-create"), form_data(projects=[world.other_project.pk])
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"projects": ["Choose projects of this portal."]}
    assert not made_companies().exists()
    assert not ProjectClient.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("contact_email", "paul@"), ("website", "http://"), ("country", "XX"), ("name", "  ")],
)
def test_cc1_malformed_input_is_a_field_error(world: World, field: str, value: str) -> None:
    response = world.client_for(world.admin).post(
        curl("company-create"), form_data(**{field: value})
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert not made_companies().exists()


def test_cc1_country_names_follow_the_language(world: World) -> None:
    client = world.client_for(world.admin)
    english = client.get(curl("company-create"), headers={"accept-language": "en"})
    assert '<option value="DE">Germany</option>' in english.content.decode()


def test_cc1_country_names_are_french_in_french(world: World) -> None:
    world.admin.user.language = "fr"
    world.admin.user.save()
    page = world.client_for(world.admin).get(curl("company-create"))
    assert '<option value="DE">Allemagne</option>' in page.content.decode()


# CC2 --------------------------------------------------------------------------------------


def test_cc2_duplicate_name_any_case_is_a_field_error_naming_the_company(world: World) -> None:
    make_company(world, "Bowman Furniture's")
    response = world.client_for(world.admin).post(
        curl("company-create"),
        form_data(name=" BOWMAN furniture's ", projects=[world.project.pk]),
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "name": ["A client company named “Bowman Furniture's” already exists."]
    }
    assert "Bowman Furniture&#x27;s" in response.content.decode()
    assert made_companies().count() == 1
    assert not ProjectClient.objects.exists()


# List -------------------------------------------------------------------------------------


def test_list_shows_companies_with_project_counts_and_search(world: World) -> None:
    make_company(world, "Bowman", city="Lyon", country="FR", projects=[world.project])
    make_company(world, "Zed Corp", contact_email="hello@zed.test")
    company_create(portal=world.other_portal, actor=None, name="Elsewhere")
    client = world.client_for(world.admin)
    page = client.get(curl("companies"))
    rows = [(c.name, c.project_count) for c in page.context["companies"]]
    assert rows == [("Bowman", 1), ("Bowman Test Co", 0), ("Zed Corp", 0)]
    html = page.content.decode()
    assert "Lyon, France" in html
    assert curl("company-edit", page.context["companies"][0]) in html
    assert curl("company-delete", page.context["companies"][0]) in html
    found = client.get(curl("companies"), {"q": "zed.TEST"})
    assert [c.name for c in found.context["companies"]] == ["Zed Corp"]
    found = client.get(curl("companies"), {"q": "lyon"})
    assert [c.name for c in found.context["companies"]] == ["Bowman"]


@pytest.mark.parametrize("count", [3, 30])
def test_list_query_count_does_not_grow(
    world: World, count: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    shop = make_project(world.portal, world.admin, "Shop")
    for i in range(count):
        make_company(world, f"Company {i}", city="Lyon", projects=[world.project, shop])
    client = world.client_for(world.admin)
    # Session, user, membership, the portal switcher, the session save (3), the paginator's
    # count and the page of companies with their project counts: the same for 3 and 30.
    with django_assert_max_num_queries(9):
        response = client.get(curl("companies"))
    assert len(response.context["companies"]) == count + 1  # and the client persona's


# CC3 --------------------------------------------------------------------------------------


def test_cc3_edit_changes_fields_and_projects(world: World) -> None:
    shop = make_project(world.portal, world.admin, "Shop")
    company = make_company(world, "Bowman", city="Paris", projects=[world.project])
    client = world.client_for(world.admin)
    page = client.get(curl("company-edit", company))
    assert page.context["form"]["projects"].value() == [world.project.pk]
    assert page.context["form"]["city"].value() == "Paris"
    response = client.post(
        curl("company-edit", company),
        form_data(name="Bowman & Sons", city="Lyon", country="BE", projects=[shop.pk]),
    )
    assert response.status_code == 302
    company.refresh_from_db()
    assert (company.name, company.city, company.country.code) == ("Bowman & Sons", "Lyon", "BE")
    assert list(company.project_links.values_list("project_id", flat=True)) == [shop.pk]
    assert AuditEvent.objects.filter(action="client_company.updated").count() == 1


def test_cc3_edit_keeps_an_archived_projects_link(world: World) -> None:
    company = make_company(world, "Bowman", projects=[world.project])
    Project.objects.filter(pk=world.project.pk).update(status=ProjectStatus.ARCHIVED)
    client = world.client_for(world.admin)
    response = client.post(
        curl("company-edit", company), form_data(name="Bowman", projects=[world.project.pk])
    )
    assert response.status_code == 302
    assert company.project_links.count() == 1


def test_pc4_unticking_the_primary_project_leaves_it_without_primary(world: World) -> None:
    first = make_company(world, "First", projects=[world.project])
    make_company(world, "Second", projects=[world.project])
    world.client_for(world.admin).post(curl("company-edit", first), form_data(name="First"))
    assert list(
        ProjectClient.objects.filter(project=world.project).values_list(
            "company__name", "is_primary"
        )
    ) == [("Second", False)]


def test_cc3_edit_to_a_duplicate_name_is_a_field_error(world: World) -> None:
    make_company(world, "Bowman")
    zed = make_company(world, "Zed")
    response = world.client_for(world.admin).post(
        curl("company-edit", zed), form_data(name="bowman ")
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "name": ["A client company named “Bowman” already exists."]
    }
    zed.refresh_from_db()
    assert zed.name == "Zed"


@pytest.mark.parametrize("name", ["company-edit", "company-delete"])
def test_cc3_another_portals_or_a_deleted_company_is_404(world: World, name: str) -> None:
    theirs = company_create(portal=world.other_portal, actor=None, name="Theirs")
    gone = make_company(world, "Gone")
    company_delete(company=gone, actor=None)
    client = world.client_for(world.admin)
    for company in (theirs, gone):
        assert client.get(curl(name, company)).status_code == 404
        assert client.post(curl(name, company), form_data(name="X")).status_code == 404
    theirs.refresh_from_db()
    assert (theirs.name, theirs.deleted_at) == ("Theirs", None)


# CC4 --------------------------------------------------------------------------------------


def test_cc4_confirmation_states_what_goes_and_what_stays(world: World) -> None:
    shop = make_project(world.portal, world.admin, "Shop")
    make_company(world, "Other", projects=[shop])
    company = make_company(world, "Bowman", projects=[world.project, shop])
    page = world.client_for(world.admin).get(curl("company-delete", company))
    assert page.status_code == 200
    assert [p.name for p in page.context["impact"].projects] == ["Shop", "Website"]
    assert [p.name for p in page.context["impact"].left_without_primary] == ["Website"]
    html = page.content.decode()
    assert "It leaves these 2 projects" in html
    assert "Shop" in html
    assert "Website" in html
    assert "Its client users lose access to every project." in html
    assert "Time logs and invoices are never deleted" in html
    assert "keep the company\u2019s name as it was" in html
    # GET changes nothing.
    company.refresh_from_db()
    assert company.deleted_at is None
    assert company.project_links.count() == 2


def test_cc4_post_soft_deletes_removes_links_audits_and_frees_the_name(world: World) -> None:
    company = make_company(world, "Bowman", projects=[world.project])
    client = world.client_for(world.admin)
    response = client.post(curl("company-delete", company))
    assert response.status_code == 302
    assert response["Location"] == curl("companies")
    company.refresh_from_db()
    assert company.deleted_at is not None
    assert not ProjectClient.objects.exists()
    event = AuditEvent.objects.get(action="client_company.deleted")
    assert event.actor == world.admin.user
    assert event.before is not None
    assert event.before["projects"] == [world.project.pk]
    left = [c.name for c in client.get(curl("companies")).context["companies"]]
    assert left == [CLIENT_COMPANY]
    again = client.post(curl("company-create"), form_data(name="BOWMAN"))
    assert again.status_code == 302


# Access -----------------------------------------------------------------------------------


def _statuses(world: World, url: str, method: str) -> list[int]:
    codes = []
    for who in (world.admin, world.manager, world.employee, world.client, world.other_admin):
        c = world.client_for(who)
        codes.append(
            (c.post(url, form_data(name="Tried")) if method == "POST" else c.get(url)).status_code
        )
    return codes


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("companies", "GET"),
        ("company-create", "GET"),
        ("company-create", "POST"),
        ("company-edit", "GET"),
        ("company-edit", "POST"),
        ("company-delete", "GET"),
        ("company-delete", "POST"),
    ],
)
def test_access_admin_only(world: World, name: str, method: str) -> None:
    company = make_company(world, "Target")
    url = curl(name, company if name in ("company-edit", "company-delete") else None)
    codes = _statuses(world, url, method)
    # admin, manager, employee, client, admin of another portal
    assert codes[1:] == [403, 403, 403, 404]
    assert codes[0] in (200, 302)
    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("accounts:signin"))
    assert REDIRECT_FIELD_NAME in anonymous["Location"]


def test_access_list_rejects_post(world: World) -> None:
    assert world.client_for(world.admin).post(curl("companies")).status_code == 405
