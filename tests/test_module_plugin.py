"""A project module plugs in with no edit outside its folder (ARCHITECTURE.md).

`tests/notes_module` is such a module, installed for the whole suite by tests/settings.py:
a model, `permissions.py`, views and URLs, and nothing anywhere else. Here: it is in the
permission grid and the customisation diff, its pages are mounted under the project, the
gate and the generic `visible` selector answer for its rows by their declared fields, the
"view as" page lists what a client may do in it, and the authorization matrix tries its
pages (tests/security/test_authorization.py reads their rules off the views).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from portail.access import customisations, member_selectors
from portail.access.gate import Forbidden, NotFound, authorize
from portail.access.models import PermissionOverride
from portail.access.selectors import visible
from portail.projects.models import ProjectMember
from portail.registry import Level, registry
from portail.workspace import selectors as workspace_selectors
from tests.conftest import World
from tests.notes_module.models import Note
from tests.notes_module.permissions import NOTES, NOTES_ADD, NOTES_EDIT, NOTES_VIEW
from tests.security.test_authorization import declaration, module_pages, view_methods

pytestmark = pytest.mark.django_db

GRANTS = {"project.view": "all", NOTES_VIEW: "own", NOTES_ADD: "all", NOTES_EDIT: "own"}


def client_on_project(world: World, permissions: dict[str, str]) -> ProjectMember:
    member = ProjectMember.objects.create(
        portal=world.portal, project=world.project, membership=world.client
    )
    PermissionOverride.objects.create(portal=world.portal, member=member, permissions=permissions)
    return member


def note(world: World, text: str, *, shown: bool, by: object = None) -> Note:
    return Note.objects.create(
        portal=world.portal,
        project=world.project,
        text=text,
        client_visible=shown,
        created_by=by,
    )


def test_the_module_is_registered_with_its_codes_and_its_pages_are_mounted(world: World) -> None:
    assert registry.modules["notes"] is NOTES
    assert {NOTES_VIEW, NOTES_ADD, NOTES_EDIT} <= registry.client_codes()
    assert reverse("notes:list", kwargs={"portal_slug": "acme", "project_id": 7}) == (
        "/p/acme/projects/7/notes/"
    )


def test_the_grid_and_the_customisation_diff_offer_its_boxes(world: World) -> None:
    member = client_on_project(world, GRANTS)
    diff = member_selectors.permission_diff(member)
    levels = {d.code: d.level for d in diff.differences if d.module.key == "notes"}
    assert levels == {NOTES_VIEW: Level.OWN, NOTES_ADD: Level.ALL, NOTES_EDIT: Level.OWN}
    response = world.client_for(world.admin).get(
        reverse(
            "member-permissions:edit",
            kwargs={
                "portal_slug": "acme",
                "project_id": world.project.pk,
                "membership_id": world.client.pk,
            },
        )
    )
    assert response.status_code == 200
    assert {"notes_view", "notes_add", "notes_edit"} <= set(response.context["form"].fields)


def test_pe2_the_gate_and_visible_answer_for_its_rows_by_their_declared_fields(
    world: World,
) -> None:
    client_on_project(world, GRANTS)
    mine = note(world, "Mine", shown=True, by=world.client)
    theirs = note(world, "Staff's", shown=True, by=world.admin)
    internal = note(world, "Internal", shown=False, by=world.client)

    assert list(visible(world.client, world.project, NOTES)) == [mine]
    assert set(visible(world.admin, world.project, NOTES)) == {mine, theirs, internal}
    assert authorize(world.client, world.project.pk, NOTES_EDIT, item=mine.pk).item == mine
    with pytest.raises(NotFound):  # not theirs at an `own` view level: not there for them
        authorize(world.client, world.project.pk, NOTES_EDIT, item=theirs.pk)
    with pytest.raises(NotFound):  # internal
        authorize(world.client, world.project.pk, NOTES_EDIT, item=internal.pk)


def test_its_pages_answer_through_the_gate(world: World) -> None:
    client_on_project(world, {"project.view": "all", NOTES_VIEW: "all"})
    note(world, "Shown", shown=True)
    note(world, "Internal", shown=False)
    kwargs = {"portal_slug": "acme", "project_id": world.project.pk}
    browser = world.client_for(world.client)

    listed = browser.get(reverse("notes:list", kwargs=kwargs))
    refused = browser.post(reverse("notes:add", kwargs=kwargs), {"text": "Hello"})

    assert (listed.status_code, listed.content) == (200, b"Shown")
    assert refused.status_code == 403  # no notes.add in their set
    assert not Note.objects.filter(text="Hello").exists()
    with pytest.raises(Forbidden):
        authorize(world.client, world.project.pk, NOTES_ADD)


def test_view_as_lists_what_a_client_may_do_in_it(world: World) -> None:
    client_on_project(world, GRANTS)
    view = workspace_selectors.client_project_view(viewer=world.client, project=world.project)
    notes = [(a.action, a.own_only) for a in view.allowed if a.module == "Notes"]
    assert notes == [("View", True), ("Add", False), ("Edit", True)]


def test_the_authorization_matrix_reads_its_pages_rules_off_the_views() -> None:
    assert set(module_pages()) == {"notes:list", "notes:add", "notes:edit"}
    edit = declaration("notes:edit")
    assert (edit.rule, edit.code, edit.item, edit.methods) == (
        "project",
        NOTES_EDIT,
        "note",
        frozenset({"POST"}),
    )
    assert view_methods(module_pages()["notes:list"].callback) == frozenset({"GET"})


def test_customisations_copy_its_levels_like_any_other(world: World) -> None:
    member = client_on_project(world, GRANTS)
    customisations.member_permissions_customise(
        member=member, permissions={**GRANTS, NOTES_EDIT: "all"}, actor=world.admin.user
    )
    member.refresh_from_db()
    assert member.permission_override.permissions[NOTES_EDIT] == "all"
