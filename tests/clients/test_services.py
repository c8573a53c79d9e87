"""Client company services: CC1-CC4, PC3-PC4 (RULES.md)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from portail.audit.models import AuditEvent
from portail.clients import companies, project_clients
from portail.clients.models import ClientCompany, ProjectClient
from portail.projects.models import Project, ProjectStatus
from tests.clients.conftest import made_companies
from tests.conftest import World, make_project

pytestmark = pytest.mark.django_db


def create(world: World, name: str = "Bowman Furniture's", **kwargs: object) -> ClientCompany:
    return companies.company_create(
        portal=world.portal,
        actor=world.admin.user,
        name=name,
        **kwargs,  # type: ignore[arg-type]
    )


def links(project: Project) -> list[tuple[str, bool]]:
    return [
        (link.company.name, link.is_primary)
        for link in ProjectClient.objects.filter(project=project).select_related("company")
    ]


def test_cc1_company_with_projects_first_becomes_primary(world: World) -> None:
    second = make_project(world.portal, world.admin, "Shop")
    company = create(world, "  Bowman Furniture's  ", projects=[world.project, second])
    assert company.name == "Bowman Furniture's"
    assert company.portal == world.portal
    assert links(world.project) == [("Bowman Furniture's", True)]
    assert links(second) == [("Bowman Furniture's", True)]
    assert all(link.portal_id == world.portal.pk for link in company.project_links.all())


def test_pc3_second_company_on_a_project_is_not_primary(world: World) -> None:
    create(world, "Bowman", projects=[world.project])
    create(world, "Zed Corp", projects=[world.project])
    assert links(world.project) == [("Bowman", True), ("Zed Corp", False)]


def test_pc3_project_client_add_defaults_and_moves_the_mark(world: World) -> None:
    first = create(world, "First")
    second = create(world, "Second")
    assert project_clients.project_client_add(
        project=world.project, company=first, actor=None
    ).is_primary
    project_clients.project_client_add(
        project=world.project, company=second, actor=None, make_primary=True
    )
    assert links(world.project) == [("Second", True), ("First", False)]
    # Adding again changes nothing.
    again = project_clients.project_client_add(project=world.project, company=first, actor=None)
    assert not again.is_primary
    assert ProjectClient.objects.filter(project=world.project).count() == 2


def test_cc1_optional_fields_and_country_stored_as_iso_code(world: World) -> None:
    bare = create(world, "Bare")
    assert (bare.contact_email, bare.website, bare.city, bare.country.code) == ("", "", "", "")
    full = create(
        world,
        "Full",
        contact_email="office@full.test",
        website="https://full.test",
        street="1 Main St",
        city="Lyon",
        region="Rhône",
        postal_code="69001",
        country="FR",
    )
    full.refresh_from_db()
    assert full.country.code == "FR"
    assert made_companies().filter(pk=full.pk, country="FR").exists()
    assert (full.city, full.region, full.postal_code) == ("Lyon", "Rhône", "69001")


@pytest.mark.parametrize(
    ("field", "value"),
    [("contact_email", "not-an-email"), ("website", "not a url"), ("country", "XX")],
)
def test_cc1_malformed_fields_are_named_and_nothing_written(
    world: World, field: str, value: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        create(world, "Broken", projects=[world.project], **{field: value})
    assert set(caught.value.message_dict) == {field}
    assert not made_companies().exists()
    assert not ProjectClient.objects.exists()
    assert not AuditEvent.objects.exists()


def test_cc1_a_name_is_required(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        create(world, "   ")
    assert caught.value.message_dict == {"name": ["Give the company a name."]}


@pytest.mark.parametrize(
    "typed", ["bowman furniture's", "  BOWMAN FURNITURE'S ", "Bowman Furniture's"]
)
def test_cc2_duplicate_name_names_the_existing_company(world: World, typed: str) -> None:
    create(world, "Bowman Furniture's")
    with pytest.raises(ValidationError) as caught:
        create(world, typed, projects=[world.project])
    assert caught.value.message_dict == {
        "name": ["A client company named “Bowman Furniture's” already exists."]
    }
    assert made_companies().count() == 1
    assert not ProjectClient.objects.exists()


@pytest.mark.parametrize("typed", ["ÉCOLE DU LOUVRE", "école du louvre", " Ecole du Louvre "])
def test_cc2_names_compare_case_insensitively_in_every_alphabet(world: World, typed: str) -> None:
    """On SQLite too (portail.sqlite_unicode): É and é are the same letter, E is another."""
    create(world, "École du Louvre")
    if typed.strip() == "Ecole du Louvre":
        create(world, typed)  # no accent: another name
        assert made_companies().count() == 2
        return
    with pytest.raises(ValidationError) as caught:
        create(world, typed)
    assert caught.value.message_dict == {
        "name": ["A client company named “École du Louvre” already exists."]
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        ClientCompany.objects.create(portal=world.portal, name=typed)
    assert made_companies().count() == 1


def test_cc2_same_name_in_another_portal_is_fine(world: World) -> None:
    create(world, "Bowman")
    companies.company_create(portal=world.other_portal, actor=None, name="bowman")
    assert made_companies().count() == 2


def test_cc2_the_database_refuses_a_duplicate_name(world: World) -> None:
    create(world, "Bowman")
    with pytest.raises(IntegrityError), transaction.atomic():
        ClientCompany.objects.create(portal=world.portal, name=" BOWMAN ")


def test_cc2_a_race_on_the_name_is_the_same_field_error(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check passes (the other request has not committed yet); the constraint decides."""
    create(world, "Bowman")
    monkeypatch.setattr(companies, "_existing_named", _only_after_first_call())
    with pytest.raises(ValidationError) as caught:
        create(world, "bowman")
    assert caught.value.message_dict == {
        "name": ["A client company named “Bowman” already exists."]
    }
    assert made_companies().count() == 1


def _only_after_first_call():  # type: ignore[no-untyped-def]
    real = companies._existing_named
    calls = []

    def fake(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return None if len(calls) == 1 else real(*args, **kwargs)

    return fake


def test_cc2_a_deleted_companys_name_can_be_reused(world: World) -> None:
    old = create(world, "Bowman")
    companies.company_delete(company=old, actor=world.admin.user)
    new = create(world, "bowman")
    assert new.pk != old.pk
    assert made_companies().filter(name__iexact="bowman").count() == 2


def test_cc2_renaming_onto_another_name_is_refused(world: World) -> None:
    create(world, "Bowman")
    other = create(world, "Zed")
    with pytest.raises(ValidationError) as caught:
        companies.company_update(company=other, actor=None, name="BOWMAN")
    assert "Bowman" in caught.value.message_dict["name"][0]
    # Its own name, in another case, is fine.
    companies.company_update(company=other, actor=None, name="ZED")
    other.refresh_from_db()
    assert other.name == "ZED"


def test_cc1_projects_of_another_portal_are_refused(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        create(world, "Bowman", projects=[world.other_project])
    assert set(caught.value.message_dict) == {"projects"}
    assert not made_companies().exists()
    assert not ProjectClient.objects.exists()


def test_cc1_archived_projects_are_refused(world: World) -> None:
    Project.objects.filter(pk=world.project.pk).update(status=ProjectStatus.ARCHIVED)
    world.project.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        create(world, "Bowman", projects=[world.project])
    assert set(caught.value.message_dict) == {"projects"}


def test_cc3_update_changes_fields_and_project_set(world: World) -> None:
    shop = make_project(world.portal, world.admin, "Shop")
    company = create(world, "Bowman", city="Paris", projects=[world.project])
    companies.company_update(
        company=company, actor=world.admin.user, city=" Lyon ", country="FR", projects=[shop]
    )
    company.refresh_from_db()
    assert (company.city, company.country.code) == ("Lyon", "FR")
    assert links(world.project) == []
    assert links(shop) == [("Bowman", True)]


def test_pc4_removing_the_primary_leaves_no_primary(world: World) -> None:
    first = create(world, "First", projects=[world.project])
    create(world, "Second", projects=[world.project])
    companies.company_update(company=first, actor=None, projects=[])
    assert links(world.project) == [("Second", False)]


def test_pc4_the_database_refuses_a_second_primary(world: World) -> None:
    first = create(world, "First", projects=[world.project])
    second = create(world, "Second")
    assert ProjectClient.objects.get(company=first).is_primary
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectClient.objects.create(
            portal=world.portal, project=world.project, company=second, is_primary=True
        )
    # Any number of non-primary links is fine.
    ProjectClient.objects.create(portal=world.portal, project=world.project, company=second)


def test_cc4_delete_soft_deletes_removes_links_and_audits(world: World) -> None:
    company = create(world, "Bowman", city="Paris", projects=[world.project])
    companies.company_delete(company=company, actor=world.admin.user)
    company.refresh_from_db()
    assert company.deleted_at is not None
    assert company.name == "Bowman"  # kept, for time logs and invoices
    assert not ProjectClient.objects.filter(company=company).exists()
    assert Project.objects.filter(pk=world.project.pk).exists()
    event = AuditEvent.objects.get(action="client_company.deleted")
    assert event.actor == world.admin.user
    assert event.target_id == str(company.pk)
    assert event.before is not None
    assert event.before["name"] == "Bowman"
    assert event.before["city"] == "Paris"
    assert event.before["projects"] == [world.project.pk]
    assert event.after is None


def test_cc4_a_deleted_company_cannot_be_changed(world: World) -> None:
    company = create(world, "Bowman")
    companies.company_delete(company=company, actor=None)
    with pytest.raises(ValidationError):
        companies.company_update(company=company, actor=None, city="Lyon")
    with pytest.raises(ValidationError):
        project_clients.project_client_add(project=world.project, company=company, actor=None)


def test_cc3_audit_events_for_create_and_update_hold_before_and_after(world: World) -> None:
    company = create(world, "Bowman", city="Paris", projects=[world.project])
    created = AuditEvent.objects.get(action="client_company.created")
    assert created.before is None
    assert created.after is not None
    assert created.after["name"] == "Bowman"
    assert created.after["projects"] == [world.project.pk]
    assert AuditEvent.objects.filter(action="project_client.added").count() == 1

    companies.company_update(
        company=company, actor=world.admin.user, name="Bowman", city="Lyon", projects=[]
    )
    updated = AuditEvent.objects.get(action="client_company.updated")
    assert updated.before == {"city": "Paris", "projects": [world.project.pk]}
    assert updated.after == {"city": "Lyon", "projects": []}
    assert AuditEvent.objects.filter(action="project_client.removed").count() == 1


def test_cc3_an_update_that_changes_nothing_records_nothing(world: World) -> None:
    company = create(world, "Bowman", projects=[world.project])
    before = AuditEvent.objects.count()
    companies.company_update(company=company, actor=None, name=" Bowman ", projects=[world.project])
    assert AuditEvent.objects.count() == before
