"""How much one request may ask (README "Operations"): a request that adds more people or
projects than gunicorn's timeout allows is refused with a message naming the field and the
limit, and nothing is saved. Each rule is held by the form (before anything is looked up)
and by the service (for every other caller): exactly the limit is accepted, one more is
refused, through the pages and through the services.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.shortcuts import resolve_url
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from zeal import zeal_ignore

from portail.access import customisations
from portail.access.catalogue import builtin_client_permissions
from portail.access.customisations import MAX_CLONE_TARGETS
from portail.access.forms import CloneForm
from portail.access.models import PermissionOverride
from portail.access.profiles import client_profile_builtin
from portail.accounts.models import User
from portail.audit.models import AuditEvent
from portail.clients import companies, project_clients
from portail.clients.client_users import (
    client_user_add,
    client_user_update,
    client_users_add_to_company,
)
from portail.clients.limits import (
    MAX_MEMBERS_PER_REQUEST,
    MAX_PEOPLE_PER_REQUEST,
    MAX_PROJECT_PLACES_PER_REQUEST,
    MAX_PROJECTS_PER_REQUEST,
)
from portail.clients.models import ClientCompany, ProjectClient
from portail.clients.project_forms import ProjectUsersAddForm
from portail.notifications.models import OutboundEmail
from portail.portals.models import Membership, MembershipKind, MembershipStatus
from portail.projects.models import Project, ProjectMember
from portail.projects.permissions import TASKS_ADD
from tests.conftest import World, make_project

pytestmark = pytest.mark.django_db

NO_ADD = {
    **{code: str(level) for code, level in builtin_client_permissions().items()},
    TASKS_ADD: "none",
}


def test_the_limits_are_what_the_readme_says() -> None:
    limits = (
        MAX_PEOPLE_PER_REQUEST,
        MAX_PROJECTS_PER_REQUEST,
        MAX_PROJECT_PLACES_PER_REQUEST,
        MAX_MEMBERS_PER_REQUEST,
        MAX_CLONE_TARGETS,
    )
    assert limits == (100, 20, 300, 5000, 5000)


def addresses(count: int, domain: str = "bowman.test") -> list[str]:
    return [f"person{i}@{domain}" for i in range(count)]


def people_message(count: str) -> str:
    return f"At most 100 people at once: you entered {count}. Add them in several steps."


def projects_message(count: str) -> str:
    return f"At most 20 projects at once: you chose {count}. Add the others in a second step."


def projects(world: World, count: int) -> list[Project]:
    return [make_project(world.portal, world.admin, f"Project {i}") for i in range(count)]


def assert_no_one_added(company: ClientCompany) -> None:
    assert not Membership.objects.filter(client_company=company).exists()
    assert not User.objects.filter(email__startswith="person").exists()
    assert not OutboundEmail.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="client_user").exists()


@pytest.fixture
def bowman(world: World) -> ClientCompany:
    return companies.company_create(portal=world.portal, actor=None, name="Bowman Furniture")


# CU5: "Add people" to a company ----------------------------------------------------------


def cu5_url(company: ClientCompany) -> str:
    return resolve_url("clients:company-users-add", portal_slug="acme", company_id=company.pk)


def test_cu5_and_pc6_the_pages_say_the_limit_before_anyone_types(
    world: World, bowman: ClientCompany
) -> None:
    project_clients.project_client_add(project=world.project, company=bowman, actor=None)
    admin = world.client_for(world.admin)

    cu5 = admin.get(cu5_url(bowman)).content.decode()
    pc6 = admin.get(pc6_url(world, bowman)).content.decode()

    assert "One address per line (or separated by commas), at most 100 at once." in cu5
    assert "At most 100 new people at once." in pc6


def test_cu5_the_page_adds_exactly_100_people_at_once(world: World, bowman: ClientCompany) -> None:
    response = world.client_for(world.admin).post(
        cu5_url(bowman),
        {"emails": "\n".join(addresses(100)), "projects": [world.project.pk]},
    )

    assert response.status_code == 302
    assert Membership.objects.filter(client_company=bowman).count() == 100
    assert OutboundEmail.objects.filter(kind="client_invitation").count() == 100


def test_cu5_the_page_refuses_101_people_naming_the_limit_and_saves_nothing(
    world: World, bowman: ClientCompany
) -> None:
    response = world.client_for(world.admin).post(
        cu5_url(bowman),
        {"emails": "\n".join(addresses(101)), "projects": [world.project.pk]},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["emails"] == [people_message("101")]
    assert_no_one_added(bowman)


def test_cu5_1600_pasted_addresses_are_refused_at_once_whatever_they_are(
    world: World, bowman: ClientCompany
) -> None:
    pasted = [*addresses(1599), "not an address"]

    response = world.client_for(world.admin).post(
        cu5_url(bowman), {"emails": ", ".join(pasted), "projects": [world.project.pk]}
    )

    assert response.context["form"].errors["emails"] == [people_message("1,600")]
    assert_no_one_added(bowman)


def test_cu5_the_same_address_twice_counts_once(world: World, bowman: ClientCompany) -> None:
    pasted = [*addresses(100), "PERSON0@bowman.test"]

    response = world.client_for(world.admin).post(
        cu5_url(bowman), {"emails": "\n".join(pasted), "projects": [world.project.pk]}
    )

    assert response.status_code == 302
    assert Membership.objects.filter(client_company=bowman).count() == 100


def test_cu5_the_refusal_reads_in_french(world: World, bowman: ClientCompany) -> None:
    world.admin.user.language = "fr"
    world.admin.user.save(update_fields=["language"])
    response = world.client_for(world.admin).post(
        cu5_url(bowman), {"emails": "\n".join(addresses(1600)), "projects": [world.project.pk]}
    )

    assert response.context["form"].errors["emails"] == [
        "Au plus 100\u00a0personnes à la fois\u00a0: vous en avez saisi 1\u00a0600. "
        "Ajoutez-les en plusieurs fois."
    ]


def test_cu5_the_page_takes_exactly_20_projects_and_refuses_21(
    world: World, bowman: ClientCompany
) -> None:
    chosen = projects(world, 21)
    admin = world.client_for(world.admin)

    refused = admin.post(
        cu5_url(bowman), {"emails": "person0@bowman.test", "projects": [p.pk for p in chosen]}
    )
    assert refused.context["form"].errors["projects"] == [projects_message("21")]
    assert_no_one_added(bowman)

    accepted = admin.post(
        cu5_url(bowman), {"emails": "person0@bowman.test", "projects": [p.pk for p in chosen[:20]]}
    )
    assert accepted.status_code == 302
    assert ProjectMember.objects.filter(membership__client_company=bowman).count() == 20


def test_cu5_the_service_takes_exactly_100_people(world: World, bowman: ClientCompany) -> None:
    added = client_users_add_to_company(
        company=bowman, actor=world.admin.user, emails=addresses(100), projects=[world.project]
    )

    assert len(added) == 100


def test_cu5_the_service_refuses_101_people_and_writes_nothing(
    world: World, bowman: ClientCompany
) -> None:
    with pytest.raises(ValidationError) as refused:
        client_users_add_to_company(
            company=bowman, actor=world.admin.user, emails=addresses(101), projects=[world.project]
        )

    assert refused.value.message_dict == {"emails": [people_message("101")]}
    assert_no_one_added(bowman)


def test_cu5_the_service_refuses_21_projects_and_writes_nothing(
    world: World, bowman: ClientCompany
) -> None:
    with pytest.raises(ValidationError) as refused:
        client_users_add_to_company(
            company=bowman,
            actor=world.admin.user,
            emails=["person0@bowman.test"],
            projects=projects(world, 21),
        )

    assert refused.value.message_dict == {"projects": [projects_message("21")]}
    assert_no_one_added(bowman)
    assert not ProjectClient.objects.filter(company=bowman).exists()


def places_message(people: int, count: str) -> str:
    return (
        f"At most 300 project places at once: {people} people on 10 projects make {count}. "
        "Add fewer people or projects in each step."
    )


def test_cu5_the_page_takes_exactly_300_project_places_and_refuses_310(
    world: World, bowman: ClientCompany
) -> None:
    chosen = [p.pk for p in projects(world, 10)]
    admin = world.client_for(world.admin)

    refused = admin.post(cu5_url(bowman), {"emails": "\n".join(addresses(31)), "projects": chosen})
    assert refused.context["form"].errors["emails"] == [places_message(31, "310")]
    assert_no_one_added(bowman)

    accepted = admin.post(cu5_url(bowman), {"emails": "\n".join(addresses(30)), "projects": chosen})
    assert accepted.status_code == 302
    assert ProjectMember.objects.filter(membership__client_company=bowman).count() == 300


def test_cu5_the_service_refuses_1000_project_places_and_writes_nothing(
    world: World, bowman: ClientCompany
) -> None:
    with pytest.raises(ValidationError) as refused:
        client_users_add_to_company(
            company=bowman,
            actor=world.admin.user,
            emails=addresses(100),
            projects=projects(world, 10),
        )

    assert refused.value.message_dict == {"emails": [places_message(100, "1,000")]}
    assert_no_one_added(bowman)
    assert not ProjectClient.objects.filter(company=bowman).exists()


# CU1 and CU6: the projects one person is put on --------------------------------------------


def test_cu1_the_service_refuses_21_projects_and_writes_nothing(
    world: World, bowman: ClientCompany
) -> None:
    with pytest.raises(ValidationError) as refused:
        client_user_add(
            portal=world.portal,
            actor=world.admin.user,
            email="person0@bowman.test",
            company=bowman,
            projects=projects(world, 21),
        )

    assert refused.value.message_dict == {"projects": [projects_message("21")]}
    assert_no_one_added(bowman)


def test_cu1_the_page_refuses_21_projects(world: World, bowman: ClientCompany) -> None:
    response = world.client_for(world.admin).post(
        resolve_url("clients:user-add", portal_slug="acme"),
        {
            "email": "person0@bowman.test",
            "company": bowman.pk,
            "profile": client_profile_builtin(portal=world.portal).pk,
            "projects": [p.pk for p in projects(world, 21)],
        },
    )

    assert response.context["form"].errors["projects"] == [projects_message("21")]
    assert_no_one_added(bowman)


def cu6_url(membership: Membership) -> str:
    return resolve_url("clients:user-edit", portal_slug="acme", membership_id=membership.pk)


def test_cu6_the_page_adds_the_person_to_exactly_20_projects_and_refuses_21(
    world: World,
) -> None:
    person = world.client
    chosen = projects(world, 21)
    admin = world.client_for(world.admin)
    data: dict[str, Any] = {"profile": person.client_profile_id}

    refused = admin.post(cu6_url(person), {**data, "add_projects": [p.pk for p in chosen]})
    assert refused.context["form"].errors["add_projects"] == [projects_message("21")]
    assert not ProjectMember.objects.filter(membership=person).exists()

    accepted = admin.post(cu6_url(person), {**data, "add_projects": [p.pk for p in chosen[:20]]})
    assert accepted.status_code == 302
    assert ProjectMember.objects.filter(membership=person).count() == 20


def test_cu6_the_service_refuses_21_projects_and_writes_nothing(world: World) -> None:
    with pytest.raises(ValidationError) as refused:
        client_user_update(
            membership=world.client,
            actor=world.admin.user,
            profile=None,
            hourly_rate=None,
            add_projects=projects(world, 21),
        )

    assert refused.value.message_dict == {"add_projects": [projects_message("21")]}
    assert not ProjectMember.objects.filter(membership=world.client).exists()
    assert not AuditEvent.objects.filter(action__startswith="client_user").exists()


# PC6: "Add client users" to a project ------------------------------------------------------


def pc6_url(world: World, company: ClientCompany) -> str:
    return resolve_url(
        "project-clients:users-add",
        portal_slug="acme",
        project_id=world.project.pk,
        company_id=company.pk,
    )


@pytest.fixture
def on_project(world: World, bowman: ClientCompany) -> ClientCompany:
    project_clients.project_client_add(project=world.project, company=bowman, actor=None)
    return bowman


def client_users(world: World, company: ClientCompany, count: int) -> list[Membership]:
    """`count` client users of the company, not on the project, made in two queries."""
    users = User.objects.bulk_create(
        User(email=f"ticked{i}@bowman.test", full_name=f"Ticked {i}") for i in range(count)
    )
    profile = client_profile_builtin(portal=world.portal)
    return Membership.objects.bulk_create(
        Membership(
            portal=world.portal,
            user=user,
            kind=MembershipKind.CLIENT,
            client_company=company,
            client_profile=profile,
        )
        for user in users
    )


def on_the_project(world: World) -> int:
    return ProjectMember.objects.filter(
        project=world.project, membership__kind=MembershipKind.CLIENT
    ).count()


def test_pc6_the_page_adds_exactly_100_new_people_at_once(
    world: World, on_project: ClientCompany
) -> None:
    response = world.client_for(world.admin).post(
        pc6_url(world, on_project), {"new_emails": "\n".join(addresses(100))}
    )

    assert response.status_code == 302
    assert on_the_project(world) == 100


def test_pc6_the_page_refuses_101_new_people_and_saves_nothing(
    world: World, on_project: ClientCompany
) -> None:
    response = world.client_for(world.admin).post(
        pc6_url(world, on_project), {"new_emails": "\n".join(addresses(101))}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["new_emails"] == [people_message("101")]
    assert on_the_project(world) == 0
    assert_no_one_added(on_project)


def test_pc6_ticked_and_entered_people_have_their_own_limits(
    world: World, on_project: ClientCompany
) -> None:
    """New people (each gets an invitation email) stay at 100 a request; people ticked
    are put on the project in bulk and count apart (MAX_MEMBERS_PER_REQUEST)."""
    ticked = client_users(world, on_project, 60)
    admin = world.client_for(world.admin)

    refused = admin.post(
        pc6_url(world, on_project),
        {"members": [m.pk for m in ticked], "new_emails": "\n".join(addresses(101))},
    )
    assert refused.context["form"].errors["new_emails"] == [people_message("101")]
    assert on_the_project(world) == 0

    accepted = admin.post(
        pc6_url(world, on_project),
        {"members": [m.pk for m in ticked], "new_emails": "\n".join(addresses(100))},
    )
    assert accepted.status_code == 302
    assert on_the_project(world) == 160


def chose_message(count: str) -> str:
    return f"At most 5,000 people at once: you chose {count}. Add them in several steps."


def test_pc6_the_form_refuses_5001_ticked_people_before_any_lookup(
    world: World, on_project: ClientCompany
) -> None:
    """More ticks than a page posts (Django refuses more than 1,000 fields anyway): the
    form says the limit without looking anyone up."""
    form = ProjectUsersAddForm(
        {"members": [str(i) for i in range(1, 5002)]},
        project=world.project,
        company=on_project,
        rates_apply=False,
    )

    with CaptureQueriesContext(connection) as queries:
        assert not form.is_valid()

    assert form.errors["members"] == [chose_message("5,001")]
    assert len(queries) == 0


def test_pc6_the_service_takes_exactly_100_people(world: World, on_project: ClientCompany) -> None:
    added = project_clients.project_client_users_add(
        project=world.project,
        company=on_project,
        actor=world.admin.user,
        members=client_users(world, on_project, 50),
        emails=addresses(50),
    )

    assert len(added) == 100
    assert on_the_project(world) == 100


def test_pc6_the_service_puts_exactly_5000_ticked_people_on_the_project(
    world: World, on_project: ClientCompany
) -> None:
    added = project_clients.project_client_users_add(
        project=world.project,
        company=on_project,
        actor=world.admin.user,
        members=client_users(world, on_project, MAX_MEMBERS_PER_REQUEST),
    )

    assert len(added) == on_the_project(world) == 5000


def test_pc6_the_page_adds_everyone_matching_up_to_the_limit_and_refuses_more(
    world: World, on_project: ClientCompany
) -> None:
    people = client_users(world, on_project, MAX_MEMBERS_PER_REQUEST + 1)
    admin = world.client_for(world.admin)

    refused = admin.post(pc6_url(world, on_project), {"everyone": "on"})
    assert refused.context["everyone_form"].non_field_errors() == [
        "At most 5,000 people at once: 5,001 match. Narrow the search and add them in "
        "several steps."
    ]
    assert on_the_project(world) == 0

    Membership.objects.filter(pk=people[-1].pk).update(status=MembershipStatus.DEACTIVATED)
    accepted = admin.post(pc6_url(world, on_project), {"everyone": "on"})
    assert accepted.status_code == 302
    assert on_the_project(world) == 5000


@pytest.mark.parametrize(
    ("ticked", "entered", "field", "message"),
    [
        (0, 101, "new_emails", people_message("101")),
        (MAX_MEMBERS_PER_REQUEST + 1, 0, "members", chose_message("5,001")),
        (1, 101, "new_emails", people_message("101")),
    ],
)
def test_pc6_the_service_refuses_past_the_limits_and_writes_nothing(
    world: World, on_project: ClientCompany, ticked: int, entered: int, field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        project_clients.project_client_users_add(
            project=world.project,
            company=on_project,
            actor=world.admin.user,
            members=client_users(world, on_project, ticked),
            emails=addresses(entered),
        )

    assert refused.value.message_dict == {field: [message]}
    assert on_the_project(world) == 0
    assert not OutboundEmail.objects.exists()


# PE3: copying a customisation to other client users ----------------------------------------


@pytest.fixture
def source(world: World) -> ProjectMember:
    """The client persona, customised on the project: the person to copy from."""
    member = ProjectMember.objects.create(
        portal=world.portal, project=world.project, membership=world.client
    )
    customisations.member_permissions_customise(
        member=member, permissions=NO_ADD, actor=world.admin.user
    )
    return member


def targets(world: World, count: int) -> list[ProjectMember]:
    """`count` other client users of the project."""
    people = client_users(world, world.client.client_company, count)
    return ProjectMember.objects.bulk_create(
        ProjectMember(portal=world.portal, project=world.project, membership=m) for m in people
    )


def pe3_url(world: World) -> str:
    return resolve_url(
        "member-permissions:clone",
        portal_slug="acme",
        project_id=world.project.pk,
        membership_id=world.client.pk,
    )


def targets_message(count: str) -> str:
    return f"At most 5,000 people at once: you ticked {count}. Copy to the others in a second step."


def copies() -> int:
    return AuditEvent.objects.filter(action="permission_override.cloned").count()


def test_pe3_the_page_copies_to_everyone_matching_up_to_the_limit_and_refuses_more(
    world: World, source: ProjectMember
) -> None:
    chosen = targets(world, MAX_CLONE_TARGETS + 1)
    admin = world.client_for(world.admin)

    refused = admin.post(pe3_url(world), {"everyone": "on"})
    assert refused.status_code == 200
    assert refused.context["everyone_form"].non_field_errors() == [
        "At most 5,000 people at once: 5,001 match. Narrow the search and copy in several steps."
    ]
    assert PermissionOverride.objects.count() == 1
    assert copies() == 0

    ProjectMember.objects.filter(pk=chosen[-1].pk).delete()
    accepted = admin.post(pe3_url(world), {"everyone": "on"})
    assert accepted.status_code == 302
    assert PermissionOverride.objects.count() == 5001
    assert copies() == 5000


def test_pe3_the_form_refuses_5001_ticked_people_before_any_lookup(
    world: World, source: ProjectMember
) -> None:
    form = CloneForm({"targets": [str(i) for i in range(1, 5002)]}, candidates=None)

    with CaptureQueriesContext(connection) as queries:
        assert not form.is_valid()

    assert form.errors["targets"] == [targets_message("5,001")]
    assert len(queries) == 0


def test_pe3_the_service_copies_to_exactly_5000_ticked_people(
    world: World, source: ProjectMember
) -> None:
    chosen = targets(world, MAX_CLONE_TARGETS)

    customisations.member_permissions_clone(source=source, targets=chosen, actor=world.admin.user)

    assert copies() == 5000


def test_pe3_the_service_refuses_5001_people_and_writes_nothing(
    world: World, source: ProjectMember
) -> None:
    with pytest.raises(ValidationError) as refused:
        customisations.member_permissions_clone(
            source=source, targets=targets(world, 5001), actor=world.admin.user
        )

    assert refused.value.message_dict == {"targets": [targets_message("5,001")]}
    assert PermissionOverride.objects.count() == 1
    assert copies() == 0


def test_pe3_the_refusal_reads_in_french(world: World, source: ProjectMember) -> None:
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        customisations.member_permissions_clone(
            source=source, targets=targets(world, 5001), actor=world.admin.user
        )

    assert refused.value.message_dict == {
        "targets": [
            "Au plus 5\u00a0000\u00a0personnes à la fois\u00a0: vous en avez coché 5\u00a0001. "
            "Copiez vers les autres dans un second temps."
        ]
    }


def test_pe3_a_copy_takes_the_same_queries_for_5_people_as_for_500(
    world: World, source: ProjectMember
) -> None:
    """Bulk writes: one insert of the new customisations, one update of the replaced ones,
    one insert of their audit events, whatever the number of people. (SQLite cuts a large
    insert into chunks of its parameter limit: there, the same statements, repeated.)"""
    people = targets(world, 505)
    few, many = people[:5], people[5:]
    # Some of each already customised: they are replaced, not added.
    customisations.member_permissions_clone(source=source, targets=few[:2] + many[:2], actor=None)

    def queries(chosen: list[ProjectMember]) -> list[str]:
        with zeal_ignore(), CaptureQueriesContext(connection) as captured:
            customisations.member_permissions_clone(
                source=source, targets=chosen, actor=world.admin.user
            )
        return [" ".join(q["sql"].split()[:3]) for q in captured if "SAVEPOINT" not in q["sql"]]

    at_5, at_500 = queries(few), queries(many)
    assert sorted(set(at_5)) == sorted(set(at_500))
    if connection.vendor == "postgresql":
        assert len(at_5) == len(at_500) == 5
    assert PermissionOverride.objects.count() == 1 + 505
    copied = AuditEvent.objects.filter(action="permission_override.cloned")
    assert copied.count() == 4 + 505
    last = copied.filter(target_id=str(many[-1].permission_override.pk)).get()
    assert last.names["membership"]["rows"] == {
        str(many[-1].membership_id): many[-1].membership.user.email
    }
