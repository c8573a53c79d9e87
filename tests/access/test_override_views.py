"""The pages of a client user's permissions in a project (PE2-PE4, PE7): for the project's
staff only, the member looked up in that project, every change through a service, audited."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.shortcuts import resolve_url
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from portail.access import customisations as services
from portail.access.catalogue import builtin_client_permissions, client_codes, is_levelled
from portail.access.forms import field_name
from portail.access.models import PermissionOverride
from portail.audit.models import AuditEvent
from portail.portals.models import Membership
from portail.projects.models import Project, ProjectMember
from portail.projects.permissions import MILESTONES_ADD, TASKS_ADD
from tests.conftest import World, make_member, make_project

pytestmark = pytest.mark.django_db

PAGES = ("show", "edit", "clone", "reset")
BUILTIN = {code: str(level) for code, level in builtin_client_permissions().items()}
NO_ADD = {**BUILTIN, TASKS_ADD: "none"}


def url(name: str, membership: Membership, project: Project, slug: str = "acme") -> str:
    return resolve_url(
        f"member-permissions:{name}",
        portal_slug=slug,
        project_id=project.pk,
        membership_id=membership.pk,
    )


def join(membership: Membership, project: Project) -> ProjectMember:
    return ProjectMember.objects.create(
        portal_id=project.portal_id, project=project, membership=membership
    )


def client_user(world: World, name: str) -> Membership:
    return make_member(world.portal, f"{name.lower()}@bowman.test", "client", f"{name} Bowman")


def grid(levels: dict[str, str]) -> dict[str, str]:
    """What the grid posts: every select, and the boxes that are ticked."""
    data = {}
    for code in client_codes():
        value = levels.get(code, "none")
        if is_levelled(code):
            data[field_name(code)] = value
        elif value == "all":
            data[field_name(code)] = "on"
    return data


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def stored(member: ProjectMember) -> dict[str, str] | None:
    row = PermissionOverride.objects.filter(member=member).first()
    return None if row is None else dict(row.permissions)


def customise(world: World, member: ProjectMember, levels: dict[str, str]) -> None:
    services.member_permissions_customise(member=member, permissions=levels, actor=world.admin.user)


def full(levels: dict[str, str]) -> dict[str, str]:
    return {code: levels.get(code, "none") for code in sorted(client_codes())}


# Who may open the pages --------------------------------------------------------------------


def test_staff_of_the_project_may_open_the_pages_others_get_404(world: World) -> None:
    member = join(world.client, world.project)
    customise(world, member, NO_ADD)
    make_project(world.portal, world.outsider, "Theirs")  # on another project only
    people = {
        "admin": world.admin,
        "manager": world.manager,
        "employee": world.employee,
        "client": world.client,
        "outsider": world.outsider,
        "other_admin": world.other_admin,
    }
    found = {}
    for persona, membership in people.items():
        browser = world.client_for(membership)
        found[persona] = [
            browser.get(url(name, world.client, world.project)).status_code for name in PAGES
        ]
    assert found == {
        "admin": [200, 200, 200, 405],
        "manager": [200, 200, 200, 405],
        "employee": [200, 200, 200, 405],
        "client": [404] * 4,
        "outsider": [404] * 4,
        "other_admin": [404] * 4,
    }
    # Nobody but staff of the project changes anything.
    for persona in ("client", "outsider", "other_admin"):
        browser = world.client_for(people[persona])
        assert browser.post(url("reset", world.client, world.project)).status_code == 404
        assert (
            browser.post(url("edit", world.client, world.project), grid(BUILTIN)).status_code == 404
        )
    assert stored(member) == full(NO_ADD)


def test_anonymous_people_are_sent_to_sign_in(world: World) -> None:
    join(world.client, world.project)
    response = Client().get(url("show", world.client, world.project))
    assert response.status_code == 302
    assert "/accounts/signin/" in response["Location"]


def test_a_member_of_another_project_portal_or_staff_is_404(world: World) -> None:
    join(world.client, world.project)
    catalogue = make_project(world.portal, world.admin, "Catalogue")
    olive = client_user(world, "Olive")
    join(olive, catalogue)
    theirs = make_member(world.other_portal, "tom@other.test", "client", "Tom Other")
    join(theirs, world.other_project)
    admin = world.client_for(world.admin)

    for name in PAGES:
        method = admin.post if name == "reset" else admin.get
        assert method(url(name, olive, world.project)).status_code == 404  # other project
        assert method(url(name, world.employee, world.project)).status_code == 404  # staff
        assert method(url(name, theirs, world.project)).status_code == 404  # other portal
        assert method(url(name, theirs, world.other_project)).status_code == 404
        assert method(url(name, world.client, world.other_project)).status_code == 404
        assert method(url(name, world.client, catalogue)).status_code == 404  # not on it
        assert method(url(name, world.client, world.project, slug="other")).status_code == 404


# PE7: the page ------------------------------------------------------------------------------


def test_pe7_the_page_shows_the_person_the_profile_and_the_diff(world: World) -> None:
    member = join(world.client, world.project)
    customise(world, member, {**NO_ADD, MILESTONES_ADD: "all"})

    response = world.client_for(world.admin).get(url("show", world.client, world.project))

    page = text(response)
    assert "Paul Bowman" in page
    assert "Bowman Test Co" in page
    assert "Client" in page  # the profile
    assert "Customised</span>" in page
    diff = re.findall(r'<li data-code="([a-z.]+)">(.*?)</li>', page)
    assert diff == [
        (MILESTONES_ADD, "<strong>Milestones: Add</strong> — Profile: No → Here: Yes"),
        (TASKS_ADD, "<strong>Tasks: Add</strong> — Profile: Yes → Here: No"),
    ]
    highlighted = re.findall(r'data-code="([a-z.]+)" class="is-changed"', page)
    assert highlighted == [MILESTONES_ADD, TASKS_ADD]
    for name in ("edit", "clone", "reset"):
        assert url(name, world.client, world.project) in page


def test_pe7_without_a_customisation_the_page_says_so_and_offers_to_customise(
    world: World,
) -> None:
    join(world.client, world.project)

    page = text(world.client_for(world.admin).get(url("show", world.client, world.project)))

    assert "there is no customisation in this project" in page
    assert "Customise permissions for this user" in page
    assert url("edit", world.client, world.project) in page
    assert url("clone", world.client, world.project) not in page
    assert url("reset", world.client, world.project) not in page
    assert 'class="is-changed"' not in page


@pytest.mark.parametrize("count", [2, 20])
def test_pe7_the_page_costs_the_same_whatever_the_project_size(
    world: World, count: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    member = join(world.client, world.project)
    customise(world, member, NO_ADD)
    for i in range(count):
        join(client_user(world, f"Person{i}"), world.project)
    admin = world.client_for(world.admin)
    with django_assert_max_num_queries(12):
        assert admin.get(url("show", world.client, world.project)).status_code == 200
    with django_assert_max_num_queries(14):
        assert admin.get(url("clone", world.client, world.project)).status_code == 200


# PE2: customise -----------------------------------------------------------------------------


def test_pe2_the_grid_starts_from_the_effective_permissions(world: World) -> None:
    member = join(world.client, world.project)
    admin = world.client_for(world.admin)

    form = admin.get(url("edit", world.client, world.project)).context["form"]
    assert form.initial[field_name(TASKS_ADD)] is True  # the profile's
    assert "applies in Website only" in text(admin.get(url("edit", world.client, world.project)))

    customise(world, member, NO_ADD)
    form = admin.get(url("edit", world.client, world.project)).context["form"]
    assert form.initial[field_name(TASKS_ADD)] is False  # the customisation's


def test_pe2_saving_the_grid_stores_the_customisation_and_audits_it(world: World) -> None:
    member = join(world.client, world.project)

    response = world.client_for(world.employee).post(
        url("edit", world.client, world.project), grid(NO_ADD), follow=True
    )

    assert response.redirect_chain == [(url("show", world.client, world.project), 302)]
    assert "Permissions of Paul Bowman customised in this project." in text(response)
    assert stored(member) == full(NO_ADD)
    event = AuditEvent.objects.select_related("actor").get(action="permission_override.set")
    assert event.actor == world.employee.user


def test_pe2_a_bad_level_is_a_form_error_naming_the_field_and_nothing_is_stored(
    world: World,
) -> None:
    member = join(world.client, world.project)

    response = world.client_for(world.admin).post(
        url("edit", world.client, world.project), {**grid(NO_ADD), "tasks_edit": "some"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"tasks_edit": ["Choose None, Own or All."]}
    assert stored(member) is None
    assert not AuditEvent.objects.filter(action__startswith="permission_override").exists()


def test_pe2_a_posted_code_not_in_the_grid_is_refused_by_name_and_nothing_is_stored(
    world: World,
) -> None:
    """A code outside the catalogue, or the staff-only project.edit, is not dropped quietly."""
    member = join(world.client, world.project)
    posted = {**grid(NO_ADD), "invoices_view": "all", "project_edit": "on"}

    response = world.client_for(world.admin).post(url("edit", world.client, world.project), posted)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Not a permission a client user can be given: invoices.view, project.edit."
    ]
    assert stored(member) is None
    assert not AuditEvent.objects.filter(action__startswith="permission_override").exists()


# PE3: clone ---------------------------------------------------------------------------------


def test_pe3_the_clone_page_lists_the_other_client_users_and_copies_to_those_ticked(
    world: World,
) -> None:
    source = join(world.client, world.project)
    rita = join(client_user(world, "Rita"), world.project)
    sam = join(client_user(world, "Sam"), world.project)
    tina = join(client_user(world, "Tina"), world.project)
    customise(world, source, NO_ADD)
    admin = world.client_for(world.admin)

    page = admin.get(url("clone", world.client, world.project))
    labels = re.findall(r'<label for="id_targets_\d+">([^<]*)</label>', page.content.decode())
    assert labels == [
        "Rita Bowman · Bowman Test Co",
        "Sam Bowman · Bowman Test Co",
        "Tina Bowman · Bowman Test Co",
    ]

    response = admin.post(
        url("clone", world.client, world.project), {"targets": [rita.pk, sam.pk]}, follow=True
    )

    assert response.redirect_chain == [(url("show", world.client, world.project), 302)]
    assert (
        "Customisation of Paul Bowman copied to 2 client users: Rita Bowman, Sam Bowman."
        in text(response)
    )
    assert stored(rita) == stored(sam) == full(NO_ADD)
    assert stored(tina) is None
    assert AuditEvent.objects.filter(action="permission_override.cloned").count() == 2


def test_pe3_a_staff_member_or_a_member_of_another_project_cannot_be_ticked(
    world: World,
) -> None:
    source = join(world.client, world.project)
    rita = join(client_user(world, "Rita"), world.project)
    olive = join(client_user(world, "Olive"), make_project(world.portal, world.admin, "Other"))
    staff = ProjectMember.objects.get(project=world.project, membership=world.employee)
    customise(world, source, NO_ADD)
    admin = world.client_for(world.admin)

    for intruder in (staff, olive, source):
        response = admin.post(
            url("clone", world.client, world.project), {"targets": [rita.pk, intruder.pk]}
        )
        assert response.status_code == 200
        assert list(response.context["form"].errors) == ["targets"]
        assert "Someone ticked is not another client user of this project" in text(response)
    assert stored(rita) is None
    assert stored(olive) is None
    assert not AuditEvent.objects.filter(action="permission_override.cloned").exists()


def test_pe3_without_a_customisation_there_is_nothing_to_clone(world: World) -> None:
    join(world.client, world.project)
    rita = join(client_user(world, "Rita"), world.project)
    admin = world.client_for(world.admin)

    page = text(admin.get(url("clone", world.client, world.project)))
    assert "Paul Bowman has no customisation to copy" in page
    response = admin.post(url("clone", world.client, world.project), {"targets": [rita.pk]})

    assert response.status_code == 200
    assert "Paul Bowman has no customisation to copy" in text(response)
    assert stored(rita) is None


# PE4: reset ---------------------------------------------------------------------------------


def test_pe4_removing_the_customisation_goes_back_to_the_page_with_the_profile(
    world: World,
) -> None:
    member = join(world.client, world.project)
    customise(world, member, NO_ADD)
    admin = world.client_for(world.admin)
    show = admin.get(url("show", world.client, world.project))
    assert '<details class="confirm">' in show.content.decode()

    response = admin.post(url("reset", world.client, world.project), follow=True)

    assert response.redirect_chain == [(url("show", world.client, world.project), 302)]
    assert (
        "Customisation removed: Paul Bowman has the permissions of the profile “Client” again."
        in text(response)
    )
    assert stored(member) is None
    event = AuditEvent.objects.get(action="permission_override.removed")
    assert event.before is not None
    assert event.before["permissions"] == full(NO_ADD)


def test_pe4_removing_a_customisation_that_is_gone_says_so(world: World) -> None:
    join(world.client, world.project)

    response = world.client_for(world.admin).post(
        url("reset", world.client, world.project), follow=True
    )

    assert "Paul Bowman has no customisation in this project" in text(response)
    assert not AuditEvent.objects.filter(action="permission_override.removed").exists()
