"""The client profile pages do what their buttons say, through the services, for admins only."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.shortcuts import resolve_url
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries
from zeal import zeal_ignore

from portail.access import profiles as services
from portail.access import rules
from portail.access.catalogue import Level, builtin_client_permissions, client_codes, is_levelled
from portail.access.forms import field_name
from portail.access.models import ClientProfile
from portail.accounts.models import User
from portail.audit.models import AuditEvent
from portail.portals.models import Membership, Portal, StaffRole
from portail.projects.models import ProjectMember
from tests.conftest import World, make_member

pytestmark = pytest.mark.django_db

DETAIL_PAGES = ("profile-permissions", "profile-rename", "profile-default", "profile-delete")


def purl(name: str, profile: ClientProfile | None = None, slug: str = "acme") -> str:
    kwargs: dict[str, Any] = {"portal_slug": slug}
    if profile is not None:
        kwargs["profile_id"] = profile.pk
    return resolve_url(f"access:{name}", **kwargs)


def create(world: World, name: str = "Reviewer", **kwargs: Any) -> ClientProfile:
    return services.client_profile_create(
        portal=world.portal, actor=world.admin.user, name=name, **kwargs
    )


def builtin(world: World) -> ClientProfile:
    return services.client_profile_builtin(portal=world.portal)


def grid_data(**levels: str) -> dict[str, str]:
    """What the grid posts: every select (boxes are left out when unticked)."""
    data = {field_name(code): "none" for code in client_codes() if is_levelled(code)}
    data.update(levels)
    return {key: value for key, value in data.items() if value != "off"}


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# The list ---------------------------------------------------------------------------------


def test_the_list_shows_each_profile_its_marks_its_users_and_actions(world: World) -> None:
    reviewer = create(world, "Reviewer")
    make_member(world.portal, "rita@bowman.test", "client")

    response = world.client_for(world.admin).get(purl("profiles"))

    assert response.status_code == 200
    rows = [
        (p.name, p.is_default, p.is_builtin, p.user_count) for p in response.context["profiles"]
    ]
    assert rows == [("Client", True, True, 2), ("Reviewer", False, False, 0)]
    page = text(response)
    assert "Default</span>" in page
    assert "Built-in</span>" in page
    # The built-in profile has no delete button; the other one has, and may become default.
    assert purl("profile-delete", builtin(world)) not in page
    assert purl("profile-delete", reviewer) in page
    assert purl("profile-default", reviewer) in page
    assert purl("profile-default", builtin(world)) not in page
    assert f"{purl('profile-create')}?clone_of={reviewer.pk}" in page


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_query_count_does_not_grow(
    world: World, count: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for i in range(count):
        person = make_member(world.portal, f"person{i}@bowman.test", "client")
        person.client_profile = create(world, f"Profile {i}")
        person.save()
    client = world.client_for(world.admin)
    # Session, user, membership, the portal switcher, the session save (3), the built-in
    # profile and the profiles with their user counts: the same for 3 and 30.
    with django_assert_max_num_queries(9):
        response = client.get(purl("profiles"))
    assert len(response.context["profiles"]) == count + 1


def test_the_list_shows_the_builtin_profile_of_a_portal_without_profile_rows(db: None) -> None:
    """A portal made without `createportal` (a test, or the admin before it learnt to make
    the profile) lists its built-in "Client" profile before the row exists."""
    portal = Portal.objects.create(name="Bare", slug="bare")
    admin = make_member(portal, "ada@bare.test", StaffRole.ADMIN)
    assert not ClientProfile.objects.exists()
    client = Client()
    with zeal_ignore():  # signing in reads the session twice; that is not an N+1
        client.force_login(admin.user)

    response = client.get(purl("profiles", slug="bare"))

    assert [(p.name, p.is_builtin, p.is_default) for p in response.context["profiles"]] == [
        ("Client", True, True)
    ]


def bare_portal_admin() -> Client:
    """The admin of a portal made without `createportal`: it has no profile row yet."""
    portal = Portal.objects.create(name="Bare", slug="bare")
    admin = make_member(portal, "ada@bare.test", StaffRole.ADMIN)
    client = Client()
    with zeal_ignore():  # signing in reads the session twice; that is not an N+1
        client.force_login(admin.user)
    return client


def writes(queries: CaptureQueriesContext) -> list[str]:
    """The statements that change a table, the session's own row (saved on every page)
    left out."""
    return [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}
        and '"accounts_usersession"' not in query["sql"]
    ]


def test_a_get_of_the_list_and_the_add_page_writes_nothing_even_without_a_builtin_row(
    db: None,
) -> None:
    client = bare_portal_admin()

    with CaptureQueriesContext(connection) as queries:
        listed = client.get(purl("profiles", slug="bare"))
        added = client.get(purl("profile-create", slug="bare"))

    assert (listed.status_code, added.status_code) == (200, 200)
    assert writes(queries) == []
    assert not ClientProfile.objects.exists()
    # The built-in profile is shown as it will be, with nothing to link to yet.
    assert [(p.pk, p.name, p.user_count) for p in listed.context["profiles"]] == [
        (None, "Client", 0)
    ]
    assert "Built-in</span>" in text(listed)
    assert "None" not in text(listed)


def test_a_get_of_every_profile_page_writes_nothing(world: World) -> None:
    reviewer = create(world, "Reviewer")
    client = world.client_for(world.admin)
    urls = [
        purl("profiles"),
        purl("profile-create"),
        f"{purl('profile-create')}?clone_of={reviewer.pk}",
    ] + [
        purl(name, profile)
        for name in ("profile-permissions", "profile-rename", "profile-delete")
        for profile in (builtin(world), reviewer)
    ]

    with CaptureQueriesContext(connection) as queries:
        codes = [client.get(url).status_code for url in urls]

    assert codes == [200] * len(urls)
    assert writes(queries) == []


def test_the_first_profile_added_stores_the_builtin_one_first(db: None) -> None:
    client = bare_portal_admin()

    response = client.post(purl("profile-create", slug="bare"), {"name": "Reviewer"})

    assert response.status_code == 302
    assert sorted(ClientProfile.objects.values_list("name", "is_builtin", "is_default")) == [
        ("Client", True, True),
        ("Reviewer", False, False),
    ]


def test_a_portal_added_in_the_django_admin_has_its_builtin_profile(db: None) -> None:
    client = Client()
    with zeal_ignore():  # signing in reads the session twice; that is not an N+1
        client.force_login(User.objects.create_superuser("root@portail.test", "x" * 12))

    response = client.post(
        reverse("admin:portals_portal_add"),
        {
            "name": "Made in the admin",
            "slug": "made",
            "currency": "EUR",
            "time_zone": "UTC",
            "require_staff_two_factor": "",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    portal = Portal.objects.get(slug="made")
    assert [(p.name, p.is_builtin, p.is_default) for p in portal.client_profiles.all()] == [
        ("Client", True, True)
    ]


def test_the_navigation_links_to_the_profiles_for_admins_only(world: World) -> None:
    link = f'href="{purl("profiles")}"'
    dashboard = resolve_url("projects:list", portal_slug="acme")
    assert link in world.client_for(world.admin).get(dashboard).content.decode()
    assert link not in world.client_for(world.manager).get(dashboard).content.decode()


# Create -----------------------------------------------------------------------------------


def test_a_blank_profile_is_added_and_the_admin_goes_on_to_its_permissions(world: World) -> None:
    response = world.client_for(world.admin).post(
        purl("profile-create"), {"name": " Reviewer ", "clone_of": ""}
    )

    profile = ClientProfile.objects.get(name="Reviewer")
    assert response.status_code == 302
    assert response["Location"] == purl("profile-permissions", profile)
    assert set(profile.permissions.values()) == {"none"}
    assert AuditEvent.objects.filter(action="client_profile.created").count() == 1


def test_a_profile_is_added_as_a_copy_of_another(world: World) -> None:
    client = world.client_for(world.admin)
    source = builtin(world)
    form = client.get(purl("profile-create"), {"clone_of": source.pk}).context["form"]
    assert form["clone_of"].value() == source.pk

    client.post(purl("profile-create"), {"name": "Client bis", "clone_of": source.pk})

    copy = ClientProfile.objects.get(name="Client bis")
    assert rules.profile_permissions(copy.permissions) == rules.profile_permissions(
        builtin_client_permissions()
    )


@pytest.mark.parametrize("name", ["client", " CLIENT "])
def test_a_duplicate_name_in_any_case_is_a_field_error(world: World, name: str) -> None:
    response = world.client_for(world.admin).post(purl("profile-create"), {"name": name})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "name": ["A client profile named “Client” already exists."]
    }
    assert ClientProfile.objects.filter(portal=world.portal).count() == 1


def test_a_blank_name_is_a_field_error(world: World) -> None:
    response = world.client_for(world.admin).post(purl("profile-create"), {"name": "  "})
    assert response.context["form"].errors == {"name": ["Give the profile a name."]}


def test_copying_a_profile_of_another_portal_by_id_is_404(world: World) -> None:
    foreign = services.client_profile_builtin(portal=world.other_portal)
    client = world.client_for(world.admin)

    assert client.get(purl("profile-create"), {"clone_of": foreign.pk}).status_code == 404
    response = client.post(purl("profile-create"), {"name": "Spy", "clone_of": foreign.pk})

    assert response.status_code == 404
    assert not ClientProfile.objects.filter(name="Spy").exists()


# Rename -----------------------------------------------------------------------------------


def test_rename(world: World) -> None:
    profile = create(world, "Reviewer")
    client = world.client_for(world.admin)
    assert client.get(purl("profile-rename", profile)).context["form"]["name"].value() == (
        "Reviewer"
    )

    response = client.post(purl("profile-rename", profile), {"name": "Auditor"})

    assert response["Location"] == purl("profiles")
    profile.refresh_from_db()
    assert profile.name == "Auditor"


def test_rename_to_a_taken_name_is_a_field_error(world: World) -> None:
    profile = create(world, "Reviewer")
    response = world.client_for(world.admin).post(
        purl("profile-rename", profile), {"name": "CLIENT"}
    )
    assert response.context["form"].errors == {
        "name": ["A client profile named “Client” already exists."]
    }


# The permission grid ----------------------------------------------------------------------


def test_the_grid_has_a_row_per_module_and_a_column_per_action(world: World) -> None:
    response = world.client_for(world.admin).get(purl("profile-permissions", builtin(world)))

    assert response.status_code == 200
    rows = {
        row.module.key: [field is not None for _action, field in row.cells]
        for row in response.context["rows"]
    }
    # Columns: view, add, edit, delete; the project has no add or delete, and editing it
    # is staff work (STAFF_ONLY_CODES), so the grid offers no box that would do nothing.
    assert rows == {
        "project": [True, False, False, False],
        "milestones": [True, True, True, True],
        "tasks": [True, True, True, True],
        "users": [True, False, False, False],
        # The test module (tests/notes_module): in the grid with no edit outside its folder.
        "notes": [True, True, True, False],
    }
    page = text(response)
    assert 'name="project_add"' not in page
    assert 'name="project_edit"' not in page
    assert re.search(r'<select name="tasks_edit"[^>]*>.*?<option value="own" selected>', page)
    assert re.search(r'<input type="checkbox" name="tasks_add"[^>]*checked', page)
    assert not re.search(r'<input type="checkbox" name="milestones_add"[^>]*checked', page)
    assert "Project overview and progress" in page
    # Seeing a project's people is on or off (ON_OFF_CODES): a box, not a level.
    assert re.search(r'<input type="checkbox" name="users_view"[^>]*checked', page)
    assert '<label class="visually-hidden" for="id_tasks_edit">Tasks: Edit</label>' in page


def test_saving_the_grid_changes_every_user_of_the_profile_at_once(world: World) -> None:
    """PE6 through the page: no JavaScript, a plain form post."""
    ProjectMember.objects.create(
        portal=world.portal, project=world.project, membership=world.client
    )
    profile = builtin(world)

    response = world.client_for(world.admin).post(
        purl("profile-permissions", profile),
        grid_data(project_view="all", tasks_view="own", tasks_add="on", tasks_delete="all"),
    )

    assert response.status_code == 302
    assert response["Location"] == purl("profiles")
    fresh = Membership.objects.select_related("client_profile").filter(pk=world.client.pk).first()
    assert rules.permissions(fresh, world.project) == {
        **rules.nothing(),
        "project.view": Level.ALL,
        "tasks.view": Level.OWN,
        "tasks.add": Level.ALL,
        "tasks.delete": Level.ALL,
    }
    event = AuditEvent.objects.get(action="client_profile.permissions_changed")
    assert event.after == {
        "milestones.view": "none",
        "tasks.delete": "all",
        "tasks.edit": "none",
        "tasks.view": "own",
        "users.view": "none",
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [("tasks_view", "some"), ("milestones_edit", ""), ("milestones_delete", "7")],
)
def test_a_bad_level_is_a_field_error_and_nothing_changes(
    world: World, field: str, value: str
) -> None:
    profile = builtin(world)
    response = world.client_for(world.admin).post(
        purl("profile-permissions", profile), grid_data(**{field: value})
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    profile.refresh_from_db()
    assert profile.permissions == builtin_client_permissions()


# Default and delete -----------------------------------------------------------------------


def test_make_default(world: World) -> None:
    reviewer = create(world, "Reviewer")
    client = world.client_for(world.admin)

    assert client.get(purl("profile-default", reviewer)).status_code == 405
    response = client.post(purl("profile-default", reviewer), follow=True)

    assert [p.name for p in response.context["profiles"] if p.is_default] == ["Reviewer"]
    assert "New client users now get “Reviewer”" in text(response)


def test_delete_asks_first_then_deletes(world: World) -> None:
    reviewer = create(world, "Reviewer")
    client = world.client_for(world.admin)

    page = client.get(purl("profile-delete", reviewer))
    assert page.status_code == 200
    assert "Delete client profile</button>" in text(page)
    assert ClientProfile.objects.filter(pk=reviewer.pk).exists()

    response = client.post(purl("profile-delete", reviewer), follow=True)

    assert not ClientProfile.objects.filter(pk=reviewer.pk).exists()
    assert "Client profile “Reviewer” deleted." in text(response)


def test_deleting_a_profile_in_use_names_how_many_and_deletes_nothing(world: World) -> None:
    reviewer = create(world, "Reviewer")
    for email in ("a@bowman.test", "b@bowman.test", "c@bowman.test"):
        person = make_member(world.portal, email, "client")
        person.client_profile = reviewer
        person.save()
    client = world.client_for(world.admin)

    page = text(client.get(purl("profile-delete", reviewer)))
    assert "3 client users use this profile: move them to another profile first." in page
    assert "Delete client profile</button>" not in page

    response = client.post(purl("profile-delete", reviewer), follow=True)

    assert "3 client users use this profile: move them to another profile first." in text(response)
    assert ClientProfile.objects.filter(pk=reviewer.pk).exists()


def test_deleting_the_builtin_profile_is_refused(world: World) -> None:
    profile = builtin(world)
    client = world.client_for(world.admin)

    page = text(client.get(purl("profile-delete", profile)))
    assert "The built-in profile cannot be deleted." in page

    response = client.post(purl("profile-delete", profile), follow=True)

    assert "The built-in profile “Client” cannot be deleted." in text(response)
    assert ClientProfile.objects.filter(pk=profile.pk).exists()


# Who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DETAIL_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_profile_of_another_portal_by_id_is_404_on_every_page(
    world: World, name: str, method: str
) -> None:
    foreign = services.client_profile_create(
        portal=world.other_portal, actor=world.other_admin.user, name="Theirs"
    )
    client = world.client_for(world.admin)

    response = getattr(client, method)(purl(name, foreign), {"name": "Mine"})

    # Making a profile default is a POST: a GET is refused before any look-up.
    assert response.status_code == (405 if (name, method) == ("profile-default", "get") else 404)
    foreign.refresh_from_db()
    assert (foreign.name, foreign.is_default) == ("Theirs", False)


def test_only_admins_may_use_the_profile_pages(world: World) -> None:
    reviewer = create(world, "Reviewer")
    urls = [purl("profiles"), purl("profile-create")] + [
        purl(name, reviewer) for name in DETAIL_PAGES
    ]
    got = {
        who: [
            world.client_for(membership).post(url, {"name": "Hacked"}).status_code for url in urls
        ]
        for who, membership in {
            "manager": world.manager,
            "employee": world.employee,
            "client": world.client,
            "other_admin": world.other_admin,
        }.items()
    }
    assert got == {
        "manager": [403] * 6,
        "employee": [403] * 6,
        "client": [403] * 6,
        "other_admin": [404] * 6,
    }
    reviewer.refresh_from_db()
    assert reviewer.name == "Reviewer"
