"""The long lists of client users at agency scale (issue 13): the project's Client users
tab paginated, searched and filtered by company (RULES PC1-PC8), and the portal's
client-users list filtered by company (CU1, CU10); what a bad or foreign filter gets."""

from __future__ import annotations

from typing import Any

import pytest
from django.shortcuts import resolve_url
from django.test import Client
from django.utils import translation
from zeal import zeal_ignore

from portail.access.models import PermissionOverride
from portail.clients import client_users, project_clients
from portail.clients.companies import company_create
from portail.clients.invitation_presentation import invitation_badge
from portail.clients.invitation_selectors import invitation_states
from portail.clients.models import ClientCompany
from portail.portals.models import Membership, MembershipKind
from portail.projects.models import ProjectMember
from tests.conftest import World, make_user

pytestmark = pytest.mark.django_db


def tab(world: World, **params: Any) -> str:
    url = resolve_url("project-clients:list", portal_slug="acme", project_id=world.project.pk)
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def users(**params: Any) -> str:
    url = resolve_url("clients:users", portal_slug="acme")
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def company(world: World, name: str, on: bool = True) -> ClientCompany:
    made = company_create(portal=world.portal, actor=None, name=name)
    if on:
        project_clients.project_client_add(project=world.project, company=made, actor=None)
    return made


def people(world: World, of: ClientCompany, count: int, prefix: str, on: bool = True) -> None:
    """`count` client users of `of` (on the project), made in bulk: no invitations."""
    with zeal_ignore():
        for i in range(count):
            user = make_user(f"{prefix}{i:03}@{prefix}.test", f"{prefix.title()} {i:03}")
            membership = Membership.objects.create(
                user=user,
                portal=world.portal,
                kind=MembershipKind.CLIENT,
                client_company=of,
                client_profile=world.client.client_profile,
            )
            if on:
                ProjectMember.objects.create(
                    portal=world.portal, project=world.project, membership=membership
                )


def ids_of(page: Any) -> list[int]:
    return [row.person.pk for row in page.context["people"]]


@pytest.fixture
def admin(world: World) -> Client:
    return world.client_for(world.admin)


# The project's Client users tab -------------------------------------------------------------


def test_issue13_the_tab_shows_50_people_a_page_and_every_company(
    world: World, admin: Client
) -> None:
    alpha = company(world, "Alpha")
    zulu = company(world, "Zulu")
    people(world, alpha, 40, "alpha")
    people(world, zulu, 20, "zulu")

    first = admin.get(tab(world))
    assert first.status_code == 200
    assert len(first.context["people"]) == 50
    html = first.content.decode()
    assert html.count('id="client-user-') == 50
    assert f'id="company-{alpha.pk}"' in html
    assert f'id="company-{zulu.pk}"' in html
    assert [(c.company.name, c.company.people) for c in first.context["companies"]] == [
        ("Alpha", 40),  # the first company added is the primary (PC3)
        ("Zulu", 20),
    ]
    assert "Page 1 of 2" in html

    second = admin.get(tab(world, page=2))
    assert len(second.context["people"]) == 10
    assert not set(ids_of(first)) & set(ids_of(second))
    assert second.context["page"].paginator.count == 60
    # Past the end: the last page; not a number: the first.
    assert admin.get(tab(world, page=99)).context["page"].number == 2
    assert admin.get(tab(world, page="x")).context["page"].number == 1


def test_issue13_the_tab_searches_by_name_email_or_company(world: World, admin: Client) -> None:
    alpha = company(world, "Alpha")
    zulu = company(world, "Zulu")
    people(world, alpha, 3, "alpha")
    people(world, zulu, 2, "zulu")

    found = admin.get(tab(world, q="ALPHA 001"))
    assert [row.person.user.email for row in found.context["people"]] == ["alpha001@alpha.test"]
    assert len(admin.get(tab(world, q="zulu")).context["people"]) == 2
    # Every company stays listed with its actions, whatever the search.
    assert len(found.context["companies"]) == 2
    nothing = admin.get(tab(world, q="nobody-here"))
    assert nothing.context["people"] == []
    assert "No client user matches “nobody-here”." in nothing.content.decode()


def test_issue13_the_tab_filters_by_company_and_keeps_the_search_in_the_pager(
    world: World, admin: Client
) -> None:
    alpha = company(world, "Alpha")
    zulu = company(world, "Zulu")
    people(world, alpha, 60, "alpha")
    people(world, zulu, 3, "zulu")

    only_zulu = admin.get(tab(world, company=zulu.pk))
    assert {row.person.client_company_id for row in only_zulu.context["people"]} == {zulu.pk}
    assert len(only_zulu.context["people"]) == 3
    assert only_zulu.context["chosen"].company_id == zulu.pk
    html = only_zulu.content.decode()
    assert "People of Zulu on the project" in html
    assert f'<input type="hidden" name="company" value="{zulu.pk}"' in html  # kept by a search

    both = admin.get(tab(world, company=alpha.pk, q="alpha"))
    assert len(both.context["people"]) == 50
    assert f"?company={alpha.pk}&amp;q=alpha&amp;page=2" in both.content.decode()
    assert len(admin.get(tab(world, company=alpha.pk, q="zulu")).context["people"]) == 0


def test_issue13_the_tab_says_when_a_company_has_nobody_on_the_project(
    world: World, admin: Client
) -> None:
    empty = company(world, "Empty Co")
    people(world, company(world, "Busy Co"), 2, "busy")
    page = admin.get(tab(world, company=empty.pk))
    assert page.context["people"] == []
    assert "Nobody of this company is on the project yet." in page.content.decode()


def test_issue13_the_tab_says_when_nobody_is_on_the_project(world: World, admin: Client) -> None:
    company(world, "Alpha")
    page = admin.get(tab(world))
    assert "Nobody is on the project yet: add users of a client company above." in (
        page.content.decode()
    )


def test_pc1_an_empty_tab_offers_to_add_a_company(world: World, admin: Client) -> None:
    page = admin.get(tab(world))
    html = page.content.decode()
    assert "No client companies on this project yet." in html
    assert 'id="people"' not in html


@pytest.mark.parametrize("value", ["abc", "0", "-3", "99999999999999999999", "%00", "1.5"])
def test_issue13_a_bad_company_filter_is_refused_with_a_message_not_a_500(
    world: World, admin: Client, value: str
) -> None:
    people(world, company(world, "Alpha"), 2, "alpha")
    page = admin.get(tab(world, company=value))
    assert page.status_code == 200
    assert "This is not a client company of this project: every company is shown." in (
        page.content.decode()
    )
    assert len(page.context["people"]) == 2


def test_issue13_another_portals_or_another_projects_company_is_never_shown(
    world: World, admin: Client
) -> None:
    people(world, company(world, "Alpha"), 2, "alpha")
    elsewhere = company(world, "Not On This Project", on=False)
    people(world, elsewhere, 1, "elsewhere", on=False)
    theirs = company_create(portal=world.other_portal, actor=None, name="Their Secret Co")
    for foreign in (theirs, elsewhere):
        page = admin.get(tab(world, company=foreign.pk))
        html = page.content.decode()
        assert page.status_code == 200
        assert "This is not a client company of this project" in html
        assert foreign.name not in html
        assert len(page.context["people"]) == 2  # the filter is ignored, not applied


def test_issue13_the_tab_rows_keep_what_they_showed(world: World, admin: Client) -> None:
    alpha = company(world, "Alpha")
    paula = client_users.client_user_add(
        portal=world.portal,
        actor=None,
        email="paula@alpha.test",
        full_name="Paula",
        company=alpha,
        projects=[world.project],
    )
    with zeal_ignore():
        member = ProjectMember.objects.get(project=world.project, membership=paula)
        PermissionOverride.objects.create(portal=world.portal, member=member, permissions={})
    html = admin.get(tab(world)).content.decode()
    kwargs = {"portal_slug": "acme", "project_id": world.project.pk, "membership_id": paula.pk}
    for name in (
        "member-permissions:show",
        "member-permissions:edit",
        "projects:view-as",
        "project-clients:user-remove",
    ):
        assert resolve_url(name, **kwargs) in html
    assert "Change the customisation" in html
    assert "badge-customised" in html
    assert '<span class="badge badge-pending">pending</span>' in html
    assert "sent 0\xa0minutes ago" in html
    assert f'id="client-user-{paula.pk}"' in html


def test_issue13_after_an_action_the_tab_shows_the_companys_people(
    world: World, admin: Client
) -> None:
    alpha = company(world, "Alpha")
    beta = company(world, "Beta")
    response = admin.post(
        resolve_url(
            "project-clients:company-primary",
            portal_slug="acme",
            project_id=world.project.pk,
            company_id=beta.pk,
        )
    )
    assert response["Location"] == tab(world, company=beta.pk) + f"#company-{beta.pk}"
    assert admin.get(response["Location"]).context["chosen"].company_id == beta.pk
    assert alpha.pk != beta.pk


# The badge of an invitation, worked out in Python (same words as before, in French too) ---


def test_cu10_invitation_badges_read_the_same_in_french(world: World) -> None:
    alpha = company(world, "Alpha")
    paula = client_users.client_user_add(
        portal=world.portal,
        actor=None,
        email="paula@alpha.test",
        company=alpha,
        projects=[world.project],
    )
    state = invitation_states(portal=world.portal, membership_ids=[paula.pk])[paula.pk]
    with translation.override("fr"):
        badge = invitation_badge(state)
    assert (badge.state, badge.label) == ("pending", "en attente")
    assert badge.detail.startswith("envoyée il y a 0")
    assert invitation_badge(None).label == ""


# The portal's client-users list -------------------------------------------------------------


def test_issue13_the_client_users_list_filters_by_company_with_the_search(
    world: World, admin: Client
) -> None:
    alpha = company(world, "Alpha", on=False)
    zulu = company(world, "Zulu", on=False)
    people(world, alpha, 3, "alpha", on=False)
    people(world, zulu, 2, "zulu", on=False)

    only = admin.get(users(company=zulu.pk))
    assert [row.person.client_company_id for row in only.context["rows"]] == [zulu.pk] * 2
    html = only.content.decode()
    assert "Showing the client users of Zulu only." in html
    assert f'<input type="hidden" name="company" value="{zulu.pk}"' in html

    both = admin.get(users(company=alpha.pk, q="alpha 002"))
    assert [row.person.user.email for row in both.context["rows"]] == ["alpha002@alpha.test"]
    assert admin.get(users(company=alpha.pk, q="zulu")).context["rows"] == []

    everyone = admin.get(users())
    assert f"?company={alpha.pk}" in everyone.content.decode()  # "Only this company"


def test_issue13_the_client_users_pager_keeps_the_company_and_the_search(
    world: World, admin: Client
) -> None:
    alpha = company(world, "Alpha", on=False)
    people(world, alpha, 55, "alpha", on=False)
    page = admin.get(users(company=alpha.pk, q="alpha"))
    assert len(page.context["rows"]) == 50
    assert f"?company={alpha.pk}&amp;q=alpha&amp;page=2" in page.content.decode()
    second = admin.get(users(company=alpha.pk, q="alpha", page=2))
    assert len(second.context["rows"]) == 5


def test_issue13_a_company_with_nobody_says_so(world: World, admin: Client) -> None:
    empty = company(world, "Empty Co", on=False)
    page = admin.get(users(company=empty.pk))
    assert "Empty Co has no client users yet." in page.content.decode()


@pytest.mark.parametrize("value", ["abc", "0", "99999999999999999999", "%00"])
def test_issue13_a_bad_company_on_the_client_users_list_is_refused_clearly(
    world: World, admin: Client, value: str
) -> None:
    page = admin.get(users(company=value))
    assert page.status_code == 200
    assert "This is not a client company of this portal: every company is shown." in (
        page.content.decode()
    )
    assert len(page.context["rows"]) == 1  # world's own client user


def test_issue13_another_portals_company_is_not_revealed_on_the_client_users_list(
    world: World, admin: Client
) -> None:
    theirs = company_create(portal=world.other_portal, actor=None, name="Their Secret Co")
    page = admin.get(users(company=theirs.pk))
    html = page.content.decode()
    assert "This is not a client company of this portal" in html
    assert "Their Secret Co" not in html
    assert page.context["company_filter"] is None


def test_pe7_a_page_of_another_app_that_does_not_resolve_leaves_its_link_out() -> None:
    # As `{% url ... as var %}` did: the tab shows no link rather than failing.
    from portail.clients.list_rows import _optional

    assert _optional("no-such:page", "membership_id", portal_slug="acme")(5) == ""
