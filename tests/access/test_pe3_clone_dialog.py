"""PE3 at 1,000+ people (issue 13): the clone dialog lists the project's client users a
page at a time, searchable by name or email and filtered by client company; ticks copy to
people of the page shown, and "copy to everyone matching" copies to every one the search
and filter match, however many, without a form field per person (no 400 past Django's
1,000 fields). The server finds them when the copy is made, in the service's transaction.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.shortcuts import resolve_url
from django.test import Client
from django.test.utils import CaptureQueriesContext
from zeal import zeal_ignore

from portail.access import customisations
from portail.access.catalogue import builtin_client_permissions
from portail.access.models import PermissionOverride
from portail.access.profiles import client_profile_builtin
from portail.accounts.models import User
from portail.audit.models import AuditEvent
from portail.clients import client_users, companies, project_clients
from portail.clients.models import ClientCompany
from portail.portals.models import Membership, MembershipKind, MembershipStatus
from portail.projects.models import ProjectMember
from portail.projects.permissions import TASKS_ADD
from tests.conftest import World, make_project

pytestmark = pytest.mark.django_db

NO_ADD = {
    **{code: str(level) for code, level in builtin_client_permissions().items()},
    TASKS_ADD: "none",
}


@pytest.fixture
def source(world: World) -> ProjectMember:
    """Paul (the client persona), customised on the project: the person to copy from."""
    member = ProjectMember.objects.create(
        portal=world.portal, project=world.project, membership=world.client
    )
    customisations.member_permissions_customise(
        member=member, permissions=NO_ADD, actor=world.admin.user
    )
    return member


def on_project(
    world: World, count: int, *, name: str = "Target", company: ClientCompany | None = None
) -> list[ProjectMember]:
    """`count` client users put on the project, named "<name> 0000"..., in a few queries."""
    with zeal_ignore():
        company = company or world.client.client_company
        users = User.objects.bulk_create(
            User(email=f"{name.lower()}{i:04}@bowman.test", full_name=f"{name} {i:04}")
            for i in range(count)
        )
        people = Membership.objects.bulk_create(
            Membership(
                portal=world.portal,
                user=user,
                kind=MembershipKind.CLIENT,
                client_company=company,
                client_profile=client_profile_builtin(portal=world.portal),
            )
            for user in users
        )
        return ProjectMember.objects.bulk_create(
            ProjectMember(portal=world.portal, project=world.project, membership=person)
            for person in people
        )


def clone_url(world: World, query: str = "") -> str:
    return (
        resolve_url(
            "member-permissions:clone",
            portal_slug="acme",
            project_id=world.project.pk,
            membership_id=world.client.pk,
        )
        + query
    )


def listed(response: Any) -> list[str]:
    """The names of the people the page lists, with a box each."""
    return [
        label.split(" · ")[0]
        for label in re.findall(r'<label for="id_targets_\d+">([^<]*)</label>', text(response))
    ]


def text(response: Any) -> str:
    return str(response.content.decode())


def copied() -> set[int]:
    """The project members who received a copy (the source's own customisation left out)."""
    return set(
        PermissionOverride.objects.exclude(
            member__membership__user__email="paul@bowman.test"
        ).values_list("member_id", flat=True)
    )


def admin_of(world: World) -> Client:
    return world.client_for(world.admin)


def test_pe3_the_dialog_lists_50_people_a_page(world: World, source: ProjectMember) -> None:
    on_project(world, 60)
    admin = admin_of(world)

    first = admin.get(clone_url(world))
    second = admin.get(clone_url(world, "?page=2"))

    assert listed(first) == [f"Target {i:04}" for i in range(50)]
    assert listed(second) == [f"Target {i:04}" for i in range(50, 60)]
    assert "Page 1 of 2" in text(first)
    assert "Copy to all 60 other client users" in text(first)


def test_pe3_the_dialog_searches_by_name_or_email(world: World, source: ProjectMember) -> None:
    on_project(world, 12)
    admin = admin_of(world)

    by_name = admin.get(clone_url(world, "?q=Target 001"))
    by_email = admin.get(clone_url(world, "?q=target0003@"))

    assert listed(by_name) == [f"Target {i:04}" for i in range(10, 12)]
    assert "Copy to all 2 people matching" in text(by_name)
    assert listed(by_email) == ["Target 0003"]
    assert "Copy to the 1 person matching" in text(by_email)


def test_pe3_the_dialog_filters_by_client_company(world: World, source: ProjectMember) -> None:
    vasseur = companies.company_create(
        portal=world.portal, actor=None, name="Vasseur", projects=[world.project]
    )
    on_project(world, 3)
    on_project(world, 2, name="Claire", company=vasseur)
    admin = admin_of(world)

    page = admin.get(clone_url(world, f"?company={vasseur.pk}"))

    assert listed(page) == ["Claire 0000", "Claire 0001"]
    choices = page.context["filters"].fields["company"].choices
    assert [label for _value, label in choices] == ["All companies", "Bowman Test Co", "Vasseur"]


def test_pe3_a_company_of_another_portal_or_not_of_the_project_is_404_and_copies_nothing(
    world: World, source: ProjectMember
) -> None:
    on_project(world, 2)
    theirs = companies.company_create(portal=world.other_portal, actor=None, name="Theirs")
    elsewhere = companies.company_create(portal=world.portal, actor=None, name="Elsewhere")
    admin = admin_of(world)

    for company in (theirs, elsewhere):
        assert admin.get(clone_url(world, f"?company={company.pk}")).status_code == 404
        # Posted, it is refused like a company whose people all left (the next test),
        # naming no company: nothing tells another portal's company exists.
        response = admin.post(
            clone_url(world, f"?company={company.pk}"), {"everyone": "on"}, follow=True
        )
        assert response.redirect_chain == [(clone_url(world), 302)]
        assert "nothing was copied" in text(response)
        assert company.name not in text(response)
    assert PermissionOverride.objects.count() == 1


def test_pe3_a_company_whose_people_left_between_showing_and_posting_copies_nothing(
    world: World, source: ProjectMember
) -> None:
    vasseur = companies.company_create(
        portal=world.portal, actor=None, name="Vasseur", projects=[world.project]
    )
    claire = on_project(world, 1, name="Claire", company=vasseur)[0]
    admin = admin_of(world)
    url = clone_url(world, f"?company={vasseur.pk}")
    assert listed(admin.get(url)) == ["Claire 0000"]

    project_clients.project_client_user_remove(
        project=world.project, member=claire, actor=None, notify=False
    )
    for posted in ({"everyone": "on"}, {"targets": [str(claire.pk)]}):
        response = admin.post(url, posted, follow=True)
        assert response.redirect_chain == [(clone_url(world), 302)]
        assert "Nobody of that company can receive the copy any more: nothing was copied." in text(
            response
        )
    assert PermissionOverride.objects.count() == 1


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("?company=abc", "company", "Choose a client company of this project."),
        ("?company=-4", "company", "Choose a client company of this project."),
        ("?q=" + "x" * 201, "q", "Ensure this value has at most 200 characters (it has 201)."),
    ],
)
def test_pe3_a_bad_filter_is_a_form_error_naming_the_field_and_copies_nothing(
    world: World, source: ProjectMember, query: str, field: str, message: str
) -> None:
    on_project(world, 3)
    admin = admin_of(world)

    page = admin.get(clone_url(world, query))
    assert page.status_code == 200
    assert page.context["filters"].errors[field] == [message]
    assert len(listed(page)) == 3  # the list stays whole, unfiltered

    posted = admin.post(clone_url(world, query), {"everyone": "on"})
    assert posted.status_code == 200
    assert posted.context["everyone_form"].non_field_errors() == [
        "Correct the search first: nothing was copied."
    ]
    assert PermissionOverride.objects.count() == 1


def test_pe3_ticks_copy_to_the_people_ticked_on_the_page_shown(
    world: World, source: ProjectMember
) -> None:
    people = on_project(world, 60)
    admin = admin_of(world)

    response = admin.post(
        clone_url(world, "?page=2"), {"targets": [people[55].pk, people[58].pk]}, follow=True
    )

    assert "copied to 2 client users: Target 0055, Target 0058." in text(response)
    assert copied() == {people[55].pk, people[58].pk}


def test_pe3_copy_to_everyone_matching_1200_people_through_the_form(
    world: World, source: ProjectMember
) -> None:
    """More people than Django lets a form post fields for (1,000): one field, no 400."""
    people = on_project(world, 1200)
    admin = admin_of(world)
    assert "Copy to all 1,200 other client users" in text(admin.get(clone_url(world)))

    response = admin.post(clone_url(world), {"everyone": "on"}, follow=True)

    assert response.status_code == 200
    assert (
        "Customisation of Paul Bowman copied to 1,200 client users: Target 0000, Target 0001, "
        "Target 0002, Target 0003, Target 0004 and 1,195 others." in text(response)
    )
    assert copied() == {person.pk for person in people}
    assert AuditEvent.objects.filter(action="permission_override.cloned").count() == 1200
    source_set = PermissionOverride.objects.get(member=source).permissions
    assert all(
        permissions == source_set
        for permissions in PermissionOverride.objects.values_list("permissions", flat=True)
    )


def test_pe3_everyone_matching_follows_the_search_and_the_company(
    world: World, source: ProjectMember
) -> None:
    vasseur = companies.company_create(
        portal=world.portal, actor=None, name="Vasseur", projects=[world.project]
    )
    bowman = on_project(world, 3)
    claires = on_project(world, 3, name="Claire", company=vasseur)
    admin = admin_of(world)

    admin.post(clone_url(world, f"?company={vasseur.pk}&q=claire000"), {"everyone": "on"})

    assert copied() == {claire.pk for claire in claires}
    assert not copied() & {person.pk for person in bowman}


def test_pe3_everyone_matching_is_who_matches_when_posted(
    world: World, source: ProjectMember
) -> None:
    """Shown 4; then one leaves the project, one is removed from the portal and one joins:
    the copy goes to those who match at that moment, and says how many."""
    leaving, removed, staying, _other = on_project(world, 4)
    admin = admin_of(world)
    assert "Copy to all 4 other client users" in text(admin.get(clone_url(world)))
    with zeal_ignore():
        project_clients.project_client_user_remove(
            project=world.project, member=leaving, actor=world.admin.user, notify=False
        )
        Membership.objects.filter(pk=removed.membership_id).update(
            status=MembershipStatus.DEACTIVATED
        )
        joining = client_users.client_user_add(
            portal=world.portal,
            actor=None,
            email="newcomer@bowman.test",
            full_name="Newcomer",
            company=world.client.client_company,
            projects=[world.project],
            invite=False,
        )

    response = admin.post(clone_url(world), {"everyone": "on"}, follow=True)

    assert "copied to 3 client users" in text(response)
    newcomer = ProjectMember.objects.get(project=world.project, membership=joining)
    assert copied() == {staying.pk, _other.pk, newcomer.pk}


def test_pe3_everyone_matching_nobody_is_a_clear_error(world: World, source: ProjectMember) -> None:
    on_project(world, 3)
    admin = admin_of(world)

    page = admin.get(clone_url(world, "?q=nobody-here"))
    assert "Nobody matches this search." in text(page)
    response = admin.post(clone_url(world, "?q=nobody-here"), {"everyone": "on"})

    assert response.status_code == 200
    assert response.context["everyone_form"].non_field_errors() == [
        "Nobody matches this search: the customisation was not copied."
    ]
    assert PermissionOverride.objects.count() == 1


def test_pe3_nothing_ticked_is_a_clear_error(world: World, source: ProjectMember) -> None:
    on_project(world, 3)

    response = admin_of(world).post(clone_url(world), {})

    assert response.context["form"].errors["targets"] == [
        "Tick at least one client user to copy to."
    ]
    assert PermissionOverride.objects.count() == 1


def test_pe3_everyone_matching_past_the_limit_is_refused_and_copies_nothing(
    world: World, source: ProjectMember, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_project(world, 4)
    monkeypatch.setattr(customisations, "MAX_CLONE_TARGETS", 3)

    response = admin_of(world).post(clone_url(world), {"everyone": "on"})

    assert response.context["everyone_form"].non_field_errors() == [
        "At most 3 people at once: 4 match. Narrow the search and copy in several steps."
    ]
    assert PermissionOverride.objects.count() == 1
    assert not AuditEvent.objects.filter(action="permission_override.cloned").exists()


def test_pe3_another_projects_people_are_never_matched(world: World, source: ProjectMember) -> None:
    other = make_project(world.portal, world.admin, "Other")
    elsewhere = ProjectMember.objects.create(
        portal=world.portal,
        project=other,
        membership=client_users.client_user_add(
            portal=world.portal,
            actor=None,
            email="olive@bowman.test",
            company=world.client.client_company,
            invite=False,
        ),
    )
    mine = on_project(world, 2)

    admin_of(world).post(clone_url(world), {"everyone": "on"})

    assert copied() == {person.pk for person in mine}
    assert not PermissionOverride.objects.filter(member=elsewhere).exists()


def test_pe3_everyone_matching_takes_the_same_queries_for_5_people_as_for_50(
    world: World, source: ProjectMember
) -> None:
    """Bulk writes and a set found by one query: the query count does not grow with the
    number of people (their customisations replaced or new alike)."""
    few = on_project(world, 5)
    customisations.member_permissions_clone(source=source, targets=few[:2], actor=None)

    def queries() -> list[str]:
        with zeal_ignore(), CaptureQueriesContext(connection) as captured:
            customisations.member_permissions_clone_matching(source=source, actor=world.admin.user)
        return [" ".join(q["sql"].split()[:3]) for q in captured if "SAVEPOINT" not in q["sql"]]

    at_5 = queries()
    on_project(world, 45, name="More")
    at_50 = queries()

    assert at_5 == at_50
    assert PermissionOverride.objects.count() == 51
