"""The audit log page, /p/<slug>/audit/: admins of the portal only, their portal's events only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from portail.audit.models import AuditEvent
from portail.clients import project_clients
from portail.clients.companies import company_create
from portail.portals.models import Portal
from tests.audit.conftest import make_event
from tests.conftest import World, make_project

pytestmark = pytest.mark.django_db


def audit_url(portal: Portal) -> str:
    return reverse("audit:events", kwargs={"portal_slug": portal.slug})


def shown(response: HttpResponse) -> list[int]:
    assert response.status_code == 200
    return [row.event.pk for row in response.context["rows"]]


def field_errors(response: HttpResponse) -> dict[str, list[str]]:
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


def test_only_the_portals_admins_may_see_its_audit_log(world: World) -> None:
    url = audit_url(world.portal)
    people = [
        world.admin,
        world.manager,
        world.employee,
        world.outsider,
        world.client,
        world.other_admin,
    ]

    codes = [world.client_for(person).get(url).status_code for person in people]

    assert codes == [200, 403, 403, 403, 403, 404]


def test_someone_signed_out_is_sent_to_sign_in(world: World) -> None:
    response = Client().get(audit_url(world.portal))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:signin"))


def test_the_page_answers_only_get(world: World) -> None:
    assert world.client_for(world.admin).post(audit_url(world.portal)).status_code == 405


def test_an_admin_sees_only_their_portals_events_newest_first(world: World) -> None:
    older = make_event(world.portal, world.admin, at=datetime(2026, 1, 1, tzinfo=UTC))
    newer = make_event(world.portal, world.manager, at=datetime(2026, 1, 2, tzinfo=UTC))
    make_event(world.other_portal, world.other_admin, target_label="Their secret company")

    response = world.client_for(world.admin).get(audit_url(world.portal))

    assert shown(response) == [newer.pk, older.pk]
    assert "Their secret company" not in response.content.decode()


def test_a_row_shows_when_who_what_target_and_the_change(world: World) -> None:
    world.portal.time_zone = "Europe/Paris"
    world.portal.save()
    event = make_event(
        world.portal,
        world.admin,
        action="project.updated",
        at=datetime(2026, 1, 9, 23, 30, tzinfo=UTC),
        target_type="projects.project",
        target_id=str(world.project.pk),
        target_label="Website",
        before={
            "name": "Website",
            "hourly_rate": "80.00",
            "description": "Old",
            "start_date": None,
        },
        after={
            "name": "New website",
            "hourly_rate": "80.00",
            "end_date": "2026-03-31",
            "start_date": "2026-01-05",
        },
    )

    response = world.client_for(world.admin).get(audit_url(world.portal))

    html = response.content.decode()
    row = html[html.index(f'<tr id="event-{event.pk}">') :]
    row = row[: row.index("</tr>")]
    # When: in the portal's time zone (Paris is UTC+1 in January).
    assert '<time datetime="2026-01-10T00:30:00+01:00">' in row
    assert "Ada Admin" in row
    assert "admin@acme.test" in row
    assert "<code>project.updated</code>" in row
    # The target as it was named, linked to its page while it exists.
    detail = f"/p/acme/projects/{world.project.pk}/"
    assert f'<a href="{detail}">Website</a><br><span class="badge">Project</span>' in row
    # The change: field labels from the model, unchanged fields left out.
    assert '<dt title="name">Name</dt>' in row
    assert "<del>Website</del> → <ins>New website</ins>" in row
    assert '<dt title="end_date">End date</dt>' in row
    assert "<ins>2026-03-31</ins>" in row
    assert '<dt title="description">Description</dt>' in row
    assert "<del>Old</del>" in row
    assert '<span class="muted">—</span> → <ins>2026-01-05</ins>' in row
    assert "hourly_rate" not in row


def test_a_change_without_an_actor_reads_system(world: World) -> None:
    make_event(world.portal, None, action="invitation.expired")

    response = world.client_for(world.admin).get(audit_url(world.portal))

    assert '<span class="badge">system</span>' in response.content.decode()


def test_a_record_whose_type_is_gone_still_shows(world: World) -> None:
    make_event(
        world.portal,
        world.admin,
        target_type="gone.thing",
        target_label="Old thing",
        after={"flag": True, "tags": ["a", "b"], "limits": {"max": 3}},
    )

    response = world.client_for(world.admin).get(audit_url(world.portal))

    html = response.content.decode()
    assert '<span class="badge">gone.thing</span>' in html
    assert "<ins>yes</ins>" in html
    assert "<ins>a, b</ins>" in html
    assert "<ins>{&quot;max&quot;: 3}</ins>" in html


def test_the_who_filter_shows_one_persons_events(world: World) -> None:
    by_manager = make_event(world.portal, world.manager)
    make_event(world.portal, world.admin)

    response = world.client_for(world.admin).get(
        audit_url(world.portal), {"actor": world.manager.user_id}
    )

    assert shown(response) == [by_manager.pk]
    html = response.content.decode()
    assert f'<option value="{world.manager.user_id}" selected>' in html
    assert f'<option value="{world.admin.user_id}">Ada Admin (admin@acme.test)</option>' in html


def test_the_what_filter_takes_a_group_or_one_key(world: World) -> None:
    created = make_event(world.portal, action="client_company.created")
    updated = make_event(world.portal, action="client_company.updated")
    invited = make_event(world.portal, action="client_user.invited")
    admin = world.client_for(world.admin)

    group = admin.get(audit_url(world.portal), {"action": "client_company."})
    one = admin.get(audit_url(world.portal), {"action": "client_user.invited"})

    assert set(shown(group)) == {created.pk, updated.pk}
    assert shown(one) == [invited.pk]
    html = group.content.decode()
    assert '<optgroup label="client_company">' in html
    assert '<option value="client_company." selected>Every client_company action</option>' in html


def test_the_date_filters_are_whole_days_in_the_portals_time_zone(world: World) -> None:
    world.portal.time_zone = "America/New_York"  # UTC-5 in January
    world.portal.save()
    # 2026-01-10 04:59 UTC is still the 9th in New York; 05:00 UTC is midnight of the 10th.
    make_event(world.portal, at=datetime(2026, 1, 10, 4, 59, tzinfo=UTC))
    first_of_10th = make_event(world.portal, at=datetime(2026, 1, 10, 5, 0, tzinfo=UTC))
    last_of_11th = make_event(world.portal, at=datetime(2026, 1, 12, 4, 59, tzinfo=UTC))
    make_event(world.portal, at=datetime(2026, 1, 12, 5, 0, tzinfo=UTC))

    response = world.client_for(world.admin).get(
        audit_url(world.portal), {"since": "2026-01-10", "until": "2026-01-11"}
    )

    assert shown(response) == [last_of_11th.pk, first_of_10th.pk]


def test_filters_combine(world: World) -> None:
    day = datetime(2026, 1, 10, 12, tzinfo=UTC)
    wanted = make_event(world.portal, world.manager, action="client_user.invited", at=day)
    make_event(world.portal, world.admin, action="client_user.invited", at=day)
    make_event(world.portal, world.manager, action="client_company.created", at=day)
    make_event(world.portal, world.manager, action="client_user.invited", at=day - timedelta(2))

    response = world.client_for(world.admin).get(
        audit_url(world.portal),
        {"actor": world.manager.user_id, "action": "client_user.", "since": "2026-01-10"},
    )

    assert shown(response) == [wanted.pk]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"since": "2026-13-45"}, "since", "Enter a valid date."),
        ({"until": "yesterday"}, "until", "Enter a valid date."),
        ({"actor": "admin"}, "actor", "Choose a person from the list."),
        ({"actor": "-3"}, "actor", "Choose a person from the list."),
        ({"actor": str(2**64)}, "actor", "Choose a person from the list."),
        ({"action": "DROP TABLE"}, "action", "Choose an action from the list."),
        ({"action": "a." * 60}, "action", "Choose an action from the list."),
        (
            {"since": "2026-02-01", "until": "2026-01-31"},
            "until",
            "The end date cannot be before the start date.",
        ),
    ],
)
def test_bad_filter_input_names_the_field_and_lists_nothing(
    world: World, query: dict[str, str], field: str, message: str
) -> None:
    make_event(world.portal, world.admin)

    response = world.client_for(world.admin).get(audit_url(world.portal), query)

    assert shown(response) == []
    assert field_errors(response) == {field: [message]}
    label = str(response.context["form"].fields[field].label)
    assert f"{label}</a>: {message}" in response.content.decode()
    assert "Correct the filters above to see events." in response.content.decode()


def test_an_actor_of_another_portal_matches_nothing_without_an_error(world: World) -> None:
    make_event(world.portal, world.admin)
    make_event(world.other_portal, world.other_admin)

    response = world.client_for(world.admin).get(
        audit_url(world.portal), {"actor": world.other_admin.user_id}
    )

    assert shown(response) == []
    assert field_errors(response) == {}
    html = response.content.decode()
    assert "No events match these filters." in html
    assert "Olga Other" not in html
    assert "admin@other.test" not in html


def test_the_log_is_paginated_and_the_pager_keeps_the_filters(world: World) -> None:
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                portal=world.portal,
                action="client_user.invited",
                target_type="portals.portal",
                target_label=f"Person {i}",
            )
            for i in range(51)
        ]
    )
    admin = world.client_for(world.admin)

    first = admin.get(audit_url(world.portal), {"action": "client_user."})
    second = admin.get(audit_url(world.portal), {"action": "client_user.", "page": 2})

    assert len(shown(first)) == 50
    assert len(shown(second)) == 1
    assert "?action=client_user.&amp;page=2" in first.content.decode()


def test_an_empty_log_says_what_will_appear(world: World) -> None:
    response = world.client_for(world.admin).get(audit_url(world.portal))

    assert shown(response) == []
    assert "Nothing recorded yet." in response.content.decode()


@pytest.mark.parametrize("count", [3, 60])
def test_the_page_costs_the_same_queries_for_few_events_or_many(
    world: World, django_assert_max_num_queries: DjangoAssertNumQueries, count: int
) -> None:
    people = [world.admin, world.manager, None]
    for i in range(count):
        make_event(
            world.portal,
            people[i % 3],
            action=f"client_company.action_{i % 7}",
            before={"name": f"Old {i}"},
            after={"name": f"New {i}"},
        )
    admin = world.client_for(world.admin)
    admin.get(audit_url(world.portal))  # warm the session

    # Session, user, membership, the portal switcher, two for the filter
    # choices, the count and the page: the same at 3 events as at 60.
    with django_assert_max_num_queries(8):
        response = admin.get(audit_url(world.portal))

    assert len(shown(response)) == min(count, 50)


def client_user_added(world: World, after: dict[str, object]) -> AuditEvent:
    """A "client user added" event about the world's client, by its admin."""
    return make_event(
        world.portal,
        world.admin,
        action="client_user.added",
        target_type="portals.membership",
        target_id=str(world.client.pk),
        after=after,
    )


def test_the_log_names_rows_as_they_were_and_links_those_still_there(
    world: World, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    """Ids stored in an event read as the names the event stored when it was written, so a
    row renamed or deleted since reads as it was; a row still there links to its page (one
    query per kind of row); an id the event did not name reads as #id."""
    company = company_create(
        portal=world.portal, actor=world.admin.user, name="Bowman Furniture", projects=[]
    )
    brochure = make_project(world.portal, world.admin, "Brochure")
    project_clients.project_client_add(
        project=world.project, company=company, actor=world.admin.user
    )
    project_clients.project_client_add(project=brochure, company=company, actor=world.admin.user)
    world.project.name = "Renamed website"
    world.project.save()
    brochure_id = brochure.pk
    brochure.delete()
    unnamed = client_user_added(world, after={"projects": [world.project.pk, 999999]})
    unnamed.names = {"projects": {"type": "projects.project", "rows": {}}}
    unnamed.save()
    admin = world.client_for(world.admin)
    # The page's own queries, plus one per kind of row that has a page (projects,
    # companies, and the client user the "added" event is about).
    with django_assert_max_num_queries(14):
        response = admin.get(audit_url(world.portal))

    rows = [row for row in response.context["rows"] if row.event.action == "project_client.added"]
    on_website, on_brochure = sorted(rows, key=lambda row: row.event.pk)
    assert on_website.target_label == "Bowman Furniture · Website"
    website = {c.field: c for c in on_website.changes}["project"]
    assert website.new == "Website"
    assert [r.url for r in website.new_rows] == [f"/p/acme/projects/{world.project.pk}/"]
    gone = {c.field: c for c in on_brochure.changes}["project"]
    assert (gone.new, [r.url for r in gone.new_rows]) == ("Brochure", [None])
    assert on_brochure.event.after["project"] == brochure_id
    (old,) = [row for row in response.context["rows"] if row.event.action == "client_user.added"]
    projects = {c.field: c for c in old.changes}["projects"]
    assert projects.new == f"#{world.project.pk}, #999999"
    assert [r.url for r in projects.new_rows] == [f"/p/acme/projects/{world.project.pk}/", None]
    page = response.content.decode()
    company_page = f"/p/acme/clients/companies/{company.pk}/edit/"
    assert f'<a href="{company_page}">Bowman Furniture</a>' in page


def test_the_log_labels_keys_and_choices_in_the_readers_language(world: World) -> None:
    """A stored key that is no field of the target ("company" on a person) has a label,
    and a choice value ("invited") reads as its label, translated."""
    client_user_added(world, after={"company": None, "status": "invited", "notified": True})
    world.admin.user.language = "fr"
    world.admin.user.save()
    response = world.client_for(world.admin).get(audit_url(world.portal))
    (row,) = [r for r in response.context["rows"] if r.event.action == "client_user.added"]
    assert {c.label: c.new for c in row.changes} == {
        "Entreprise cliente": "",
        "Statut": "Invité",
        "Prévenu par e-mail": "oui",
    }
