"""Choices limited to the portal (portail.web.ScopedChoices): an id of another portal (or of
nobody), posted by hand, is 404; an id of the portal that is not offered, or a malformed
one, is the form's own error. The pages' 404s are in test_client_user_views.py and
test_project_client_views.py; here, the forms and the helper themselves."""

from __future__ import annotations

import pytest
from django.http import Http404, QueryDict

from portail.clients.companies import company_create
from portail.clients.forms import ClientUserForm
from portail.clients.project_clients import project_client_add
from portail.clients.project_forms import ProjectCompanyAddForm, ProjectUsersAddForm
from portail.web import MAX_ID, refuse_outside_scope
from tests.conftest import World, make_member

pytestmark = pytest.mark.django_db


def posted(**values: str | list[str]) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in values.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    return data


def test_another_portals_company_is_refused_and_the_portals_own_is_not(world: World) -> None:
    theirs = company_create(portal=world.other_portal, actor=None, name="Far")
    ours = company_create(portal=world.portal, actor=None, name="Near")
    with pytest.raises(Http404):
        refuse_outside_scope(ClientUserForm(posted(company=str(theirs.pk)), portal=world.portal))
    refuse_outside_scope(ClientUserForm(posted(company=str(ours.pk)), portal=world.portal))


@pytest.mark.parametrize("value", ["abc", "", "0", str(MAX_ID + 1), "1\x00"])
def test_a_malformed_id_is_left_to_the_form(world: World, value: str) -> None:
    form = ClientUserForm(posted(company=value), portal=world.portal)
    refuse_outside_scope(form)
    form.is_valid()


def test_an_unbound_form_is_not_looked_at(world: World) -> None:
    refuse_outside_scope(ClientUserForm(portal=world.portal))


def test_a_company_of_the_portal_already_on_the_project_is_a_form_error(world: World) -> None:
    ours = company_create(portal=world.portal, actor=None, name="Near")
    project_client_add(project=world.project, company=ours, actor=None)
    form = ProjectCompanyAddForm(
        posted(company=str(ours.pk)), project=world.project, has_primary=True
    )
    refuse_outside_scope(form)
    assert not form.is_valid()
    assert "not on the project" in form.errors["company"][0]


def test_people_outside_the_portal_are_refused_among_the_portals_own(world: World) -> None:
    company = world.client.client_company
    assert company is not None
    project_client_add(project=world.project, company=company, actor=None)
    colleague = make_member(world.portal, "pia@bowman.test", "client")
    stranger = make_member(world.other_portal, "sam@far.test", "client")

    def form(*ids: int) -> ProjectUsersAddForm:
        return ProjectUsersAddForm(
            posted(members=[str(pk) for pk in ids]),
            project=world.project,
            company=company,
            rates_apply=False,
        )

    with pytest.raises(Http404):
        refuse_outside_scope(form(colleague.pk, stranger.pk))
    # Staff of the portal are not client users: not theirs to name here either.
    with pytest.raises(Http404):
        refuse_outside_scope(form(world.employee.pk))
    refuse_outside_scope(form(colleague.pk, world.client.pk))
