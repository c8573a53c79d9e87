"""PC6 at 1,000+ people (issue 13): "Add client users" lists the company's client users
who are not on the project a page at a time, searchable by name or email; ticks add
people of the page shown, and "add everyone matching" adds every one the search matches,
however many, without a form field per person (no 400 past Django's 1,000 fields). The
server finds them when it adds them, in the service's transaction, and writes their
project rows and audit events in bulk: a constant number of queries.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.shortcuts import resolve_url
from django.test import Client
from django.test.utils import CaptureQueriesContext
from zeal import zeal_ignore

from portail.access.profiles import client_profile_builtin
from portail.accounts.models import User
from portail.audit.models import AuditEvent
from portail.clients import client_users, companies, project_clients
from portail.clients.models import ClientCompany, ProjectClient
from portail.notifications.models import OutboundEmail
from portail.portals.models import Membership, MembershipKind, MembershipStatus
from portail.projects.models import ProjectMember
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def bowman(world: World) -> ClientCompany:
    """A client company of the project, nobody of it on the project yet."""
    return companies.company_create(
        portal=world.portal, actor=None, name="Bowman Furniture", projects=[world.project]
    )


def people(
    world: World, company: ClientCompany, count: int, name: str = "Person"
) -> list[Membership]:
    """`count` client users of the company, not on the project, in a few queries."""
    with zeal_ignore():
        users = User.objects.bulk_create(
            User(email=f"{name.lower()}{i:04}@bowman.test", full_name=f"{name} {i:04}")
            for i in range(count)
        )
        return Membership.objects.bulk_create(
            Membership(
                portal=world.portal,
                user=user,
                kind=MembershipKind.CLIENT,
                client_company=company,
                client_profile=client_profile_builtin(portal=world.portal),
                hourly_rate=None,
            )
            for user in users
        )


def add_url(world: World, company: ClientCompany, query: str = "") -> str:
    return (
        resolve_url(
            "project-clients:users-add",
            portal_slug="acme",
            project_id=world.project.pk,
            company_id=company.pk,
        )
        + query
    )


def text(response: Any) -> str:
    return str(response.content.decode())


def listed(response: Any) -> list[str]:
    """The people the page lists, with a box each (by name)."""
    return [
        label.split(" (")[0]
        for label in re.findall(r'<label for="id_members_\d+">([^<]*)</label>', text(response))
    ]


def on_project(world: World) -> set[int]:
    """The client users on the project (membership ids)."""
    return set(
        ProjectMember.objects.filter(
            project=world.project, membership__kind=MembershipKind.CLIENT
        ).values_list("membership_id", flat=True)
    )


def admin_of(world: World) -> Client:
    return world.client_for(world.admin)


def test_pc6_the_dialog_lists_50_people_a_page(world: World, bowman: ClientCompany) -> None:
    people(world, bowman, 60)
    admin = admin_of(world)

    first = admin.get(add_url(world, bowman))
    second = admin.get(add_url(world, bowman, "?page=2"))

    assert listed(first) == [f"Person {i:04}" for i in range(50)]
    assert listed(second) == [f"Person {i:04}" for i in range(50, 60)]
    assert "Page 1 of 2" in text(first)
    assert "Add all 60 people of the company not on the project" in text(first)


def test_pc6_the_dialog_searches_by_name_or_email(world: World, bowman: ClientCompany) -> None:
    people(world, bowman, 12)
    admin = admin_of(world)

    by_name = admin.get(add_url(world, bowman, "?q=Person 001"))
    by_email = admin.get(add_url(world, bowman, "?q=person0003@"))

    assert listed(by_name) == ["Person 0010", "Person 0011"]
    assert "Add all 2 people matching" in text(by_name)
    assert listed(by_email) == ["Person 0003"]
    assert "Add the 1 person matching" in text(by_email)


def test_pc6_ticks_add_the_people_ticked_on_the_page_shown(
    world: World, bowman: ClientCompany
) -> None:
    found = people(world, bowman, 60)

    response = admin_of(world).post(
        add_url(world, bowman, "?page=2"),
        {"members": [found[55].pk, found[58].pk]},
        follow=True,
    )

    assert "2 people added to the project: Person 0055, Person 0058." in text(response)
    assert on_project(world) == {found[55].pk, found[58].pk}


def test_pc6_add_everyone_matching_1100_people_through_the_form(
    world: World, bowman: ClientCompany
) -> None:
    """More people than Django lets a form post fields for (1,000): one field, no 400;
    one audit event each, as when people join one by one; no email to anyone."""
    found = people(world, bowman, 1100)
    admin = admin_of(world)
    assert "Add all 1,100 people of the company" in text(admin.get(add_url(world, bowman)))

    response = admin.post(add_url(world, bowman), {"everyone": "on"}, follow=True)

    assert response.status_code == 200
    assert (
        "1,100 people added to the project: Person 0000, Person 0001, Person 0002, "
        "Person 0003, Person 0004 and 1,095 others." in text(response)
    )
    assert on_project(world) == {person.pk for person in found}
    events = AuditEvent.objects.filter(action="project_member.added")
    assert events.count() == 1100
    last = events.get(target_label="person1099@bowman.test · Website")
    assert last.after["membership"] == found[-1].pk
    assert last.names["membership"]["rows"] == {str(found[-1].pk): "person1099@bowman.test"}
    assert not OutboundEmail.objects.exists()


def test_pc6_add_everyone_matching_follows_the_search(world: World, bowman: ClientCompany) -> None:
    found = people(world, bowman, 12)

    admin_of(world).post(add_url(world, bowman, "?q=Person 001"), {"everyone": "on"})

    assert on_project(world) == {found[10].pk, found[11].pk}


def test_pc6_add_everyone_matching_is_who_matches_when_posted(
    world: World, bowman: ClientCompany
) -> None:
    """Shown 4; then one is put on the project, one is removed from the portal, one moves
    to another company and one joins the company: those who match at that moment are
    added, once each, and the message says how many."""
    joined, removed, moved, staying = people(world, bowman, 4)
    other = companies.company_create(portal=world.portal, actor=None, name="Other")
    admin = admin_of(world)
    assert "Add all 4 people of the company" in text(admin.get(add_url(world, bowman)))
    with zeal_ignore():
        project_clients.project_client_users_add(
            project=world.project, company=bowman, actor=None, members=[joined]
        )
        Membership.objects.filter(pk=removed.pk).update(status=MembershipStatus.DEACTIVATED)
        Membership.objects.filter(pk=moved.pk).update(client_company=other)
        newcomer = client_users.client_user_add(
            portal=world.portal, actor=None, email="new@bowman.test", company=bowman
        )

    response = admin.post(add_url(world, bowman), {"everyone": "on"}, follow=True)

    assert "2 people added to the project" in text(response)
    assert on_project(world) == {joined.pk, staying.pk, newcomer.pk}
    assert ProjectMember.objects.filter(project=world.project, membership=joined).count() == 1


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "?q=nobody-here",
            "Nobody of the company who is not on the project matches “nobody-here”: nobody "
            "was added.",
        ),
        ("", "Everyone of the company is on the project already: nobody was added."),
    ],
)
def test_pc6_add_everyone_matching_nobody_is_a_clear_error(
    world: World, bowman: ClientCompany, query: str, message: str
) -> None:
    found = people(world, bowman, 2)
    project_clients.project_client_users_add(
        project=world.project, company=bowman, actor=None, members=found
    )
    before = AuditEvent.objects.count()

    response = admin_of(world).post(add_url(world, bowman, query), {"everyone": "on"})

    assert response.status_code == 200
    assert response.context["everyone_form"].non_field_errors() == [message]
    assert on_project(world) == {person.pk for person in found}
    assert AuditEvent.objects.count() == before


def test_pc6_a_bad_search_is_a_form_error_naming_the_field_and_adds_nobody(
    world: World, bowman: ClientCompany
) -> None:
    people(world, bowman, 3)
    query = "?q=" + "x" * 201
    admin = admin_of(world)

    page = admin.get(add_url(world, bowman, query))
    assert page.context["search_form"].errors["q"] == [
        "Ensure this value has at most 200 characters (it has 201)."
    ]
    assert len(listed(page)) == 3
    response = admin.post(add_url(world, bowman, query), {"everyone": "on"})

    assert response.context["everyone_form"].non_field_errors() == [
        "Correct the search first: nobody was added."
    ]
    assert on_project(world) == set()


def test_pc6_add_everyone_matching_past_the_limit_is_refused_and_adds_nobody(
    world: World, bowman: ClientCompany, monkeypatch: pytest.MonkeyPatch
) -> None:
    people(world, bowman, 4)
    monkeypatch.setattr(project_clients, "MAX_MEMBERS_PER_REQUEST", 3)
    monkeypatch.setattr("portail.clients.limits.MAX_MEMBERS_PER_REQUEST", 3)

    response = admin_of(world).post(add_url(world, bowman), {"everyone": "on"})

    assert response.context["everyone_form"].non_field_errors() == [
        "At most 3 people at once: 4 match. Narrow the search and add them in several steps."
    ]
    assert on_project(world) == set()
    assert not AuditEvent.objects.filter(action="project_member.added").exists()


def test_pc6_the_service_refuses_everyone_of_a_company_not_on_the_project(
    world: World,
) -> None:
    elsewhere = companies.company_create(portal=world.portal, actor=None, name="Elsewhere")
    people(world, elsewhere, 2)

    with pytest.raises(ValidationError) as refused:
        project_clients.project_client_users_add_matching(
            project=world.project, company=elsewhere, actor=None
        )

    assert refused.value.message_dict == {
        "company": [
            "“Elsewhere” is not a client of this project: add the company to the project first."
        ]
    }
    assert on_project(world) == set()


def test_pc6_ticked_people_join_at_their_portal_rate(world: World, bowman: ClientCompany) -> None:
    paid, unpaid = people(world, bowman, 2)
    Membership.objects.filter(pk=paid.pk).update(hourly_rate="72.50")
    paid.refresh_from_db()

    project_clients.project_client_users_add(
        project=world.project, company=bowman, actor=None, members=[paid, unpaid]
    )

    rates = dict(
        ProjectMember.objects.filter(project=world.project).values_list(
            "membership_id", "hourly_rate"
        )
    )
    assert str(rates[paid.pk]) == "72.50"
    assert rates[unpaid.pk] is None


def test_pc6_a_ticked_person_of_another_company_is_refused_by_the_service(
    world: World, bowman: ClientCompany
) -> None:
    elsewhere = companies.company_create(portal=world.portal, actor=None, name="Elsewhere")
    (ella,) = people(world, elsewhere, 1, name="Ella")
    (mine,) = people(world, bowman, 1)

    with pytest.raises(ValidationError) as refused:
        project_clients.project_client_users_add(
            project=world.project, company=bowman, actor=None, members=[mine, ella]
        )

    assert refused.value.message_dict == {
        "members": [
            "ella0000@bowman.test belongs to “Elsewhere”, which is not a client of this "
            "project: add that company to the project first."
        ]
    }
    assert on_project(world) == set()


def queries_of(call: Any) -> list[str]:
    with zeal_ignore(), CaptureQueriesContext(connection) as captured:
        call()
    return [" ".join(q["sql"].split()[:3]) for q in captured if "SAVEPOINT" not in q["sql"]]


def test_pc6_adding_ticked_people_takes_the_same_queries_for_5_as_for_50(
    world: World, bowman: ClientCompany
) -> None:
    few = people(world, bowman, 5)
    many = people(world, bowman, 50, name="Many")

    at_5 = queries_of(
        lambda: project_clients.project_client_users_add(
            project=world.project, company=bowman, actor=world.admin.user, members=few
        )
    )
    at_50 = queries_of(
        lambda: project_clients.project_client_users_add(
            project=world.project, company=bowman, actor=world.admin.user, members=many
        )
    )

    assert at_5 == at_50
    assert len(on_project(world)) == 55
    assert AuditEvent.objects.filter(action="project_member.added").count() == 55


def test_pc6_adding_everyone_matching_takes_the_same_queries_for_5_as_for_50(
    world: World, bowman: ClientCompany
) -> None:
    people(world, bowman, 5)

    def add() -> None:
        project_clients.project_client_users_add_matching(
            project=world.project, company=bowman, actor=world.admin.user
        )

    at_5 = queries_of(add)
    people(world, bowman, 50, name="Many")
    at_50 = queries_of(add)

    assert at_5 == at_50
    assert len(on_project(world)) == 55


def test_pc6_a_company_taken_off_the_project_meanwhile_is_refused_not_linked_again(
    world: World, bowman: ClientCompany, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The company was a client when checked, then someone took it off the project before
    the people joined: the bulk join refuses (PC6 never adds the company by itself, so it
    is not linked again, nor made primary), ticked or everyone matching."""
    ticked = people(world, bowman, 3)
    check = project_clients._check_adding

    def check_then_removed(project: Any, company: ClientCompany) -> None:
        check(project, company)
        project_clients.project_client_remove(project=project, company=company, actor=None)

    monkeypatch.setattr(project_clients, "_check_adding", check_then_removed)
    adds = {
        "everyone matching": lambda: project_clients.project_client_users_add_matching(
            project=world.project, company=bowman, actor=None, search=""
        ),
        "ticked": lambda: project_clients.project_client_users_add(
            project=world.project, company=bowman, actor=None, members=ticked, new_people=[]
        ),
    }
    for how, add in adds.items():
        with pytest.raises(ValidationError, match="not a client of this project"):
            add()
        links = ProjectClient.objects.filter(project=world.project, company=bowman)
        assert links.exists(), how  # the removal was rolled back with the refused change
        assert not ProjectMember.objects.filter(
            project=world.project, membership__client_company=bowman
        ).exists(), how
