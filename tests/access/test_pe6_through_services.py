"""PE6 through the paths a request takes: a client user put on a project by each real page
(CU1 add, CU5 add people, CU6 edit adding a project, PC6 add users, ticked or new) who then
accepts the invitation (CU4, as someone new or with an account), follows an edit of their
profile made on the profile page at once; a customised member of the same project does not.

The other PE6 tests make project members directly; these catch an add path that would
freeze a copy of the profile (an override, or anything else read instead of the profile).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.shortcuts import resolve_url
from django.test import Client
from zeal import zeal_ignore

from portail.access import customisations, profiles, rules
from portail.access.catalogue import Level, builtin_client_permissions, client_codes, is_levelled
from portail.access.forms import field_name
from portail.access.models import PermissionOverride
from portail.clients import client_users, project_clients
from portail.clients.models import ClientCompany
from portail.notifications.models import OutboundEmail
from portail.portals.models import Membership, MembershipStatus
from portail.projects.models import ProjectMember
from portail.projects.permissions import MILESTONES_ADD, TASKS_ADD
from tests.conftest import PASSWORD, World
from tests.outbox import deliver_email, link_in, path_of

pytestmark = pytest.mark.django_db

BUILTIN = {code: str(level) for code, level in builtin_client_permissions().items()}
# The edit: milestones may now be added, tasks no longer.
EDITED = {**BUILTIN, MILESTONES_ADD: "all", TASKS_ADD: "none"}
NEW_PASSWORD = "a fresh passphrase 42"
NINA = "nina@bowman.test"


def curl(name: str, **kwargs: Any) -> str:
    return resolve_url(f"clients:{name}", portal_slug="acme", **kwargs)


def grid(levels: dict[str, str]) -> dict[str, str]:
    """What the permission grid posts: every select, and the boxes that are ticked."""
    data = {}
    for code in client_codes():
        value = levels.get(code, "none")
        if is_levelled(code):
            data[field_name(code)] = value
        elif value == "all":
            data[field_name(code)] = "on"
    return data


def company(world: World) -> ClientCompany:
    """The client persona's company, a client of the project."""
    bowman = world.client.client_company
    assert bowman is not None
    project_clients.project_client_add(project=world.project, company=bowman, actor=None)
    return bowman


def default_profile_pk(world: World) -> int:
    return client_users.client_profile_default(portal=world.portal).pk


def added(response: Any) -> None:
    assert response.status_code == 302, response.context["form"].errors


# The add paths: each puts `email` on world.project through the pages -------------------


def via_cu1_page(world: World, admin: Client, email: str) -> None:
    added(
        admin.post(
            curl("user-add"),
            {
                "email": email,
                "full_name": "",
                "company": company(world).pk,
                "new_company_name": "",
                "profile": default_profile_pk(world),
                "projects": [world.project.pk],
            },
        )
    )


def via_cu5_page(world: World, admin: Client, email: str) -> None:
    added(
        admin.post(
            curl("company-users-add", company_id=company(world).pk),
            {"emails": email, "projects": [world.project.pk]},
        )
    )


def _on_no_project(world: World, email: str) -> Membership:
    return client_users.client_user_add(
        portal=world.portal, actor=world.admin.user, email=email, company=company(world)
    )


def via_cu6_page(world: World, admin: Client, email: str) -> None:
    person = _on_no_project(world, email)
    added(
        admin.post(
            curl("user-edit", membership_id=person.pk),
            {"profile": person.client_profile_id, "add_projects": [world.project.pk]},
        )
    )


def _pc6_url(world: World) -> str:
    return resolve_url(
        "project-clients:users-add",
        portal_slug="acme",
        project_id=world.project.pk,
        company_id=company(world).pk,
    )


def via_pc6_new_person(world: World, admin: Client, email: str) -> None:
    added(admin.post(_pc6_url(world), {"new_emails": email}))


def via_pc6_ticked(world: World, admin: Client, email: str) -> None:
    person = _on_no_project(world, email)
    added(admin.post(_pc6_url(world), {"members": [person.pk]}))


AddPath = Callable[[World, Client, str], None]
PATHS: list[AddPath] = [
    via_cu1_page,
    via_cu5_page,
    via_cu6_page,
    via_pc6_new_person,
    via_pc6_ticked,
]


def accept(email: str) -> None:
    """CU4 on the acceptance page, with the link of the invitation email."""
    # filter().first() rather than latest(): zeal counts repeated get()s as an N+1.
    email_row = OutboundEmail.objects.filter(to=email, kind__icontains="invit").order_by("-pk")
    invitation_email = email_row.first()
    assert invitation_email is not None
    # The link is made when the email is sent (no working link is stored): send it.
    link = path_of(link_in(deliver_email(invitation_email)))
    membership = Membership.objects.select_related("user").filter(user__email=email).first()
    assert membership is not None
    browser = Client()
    if membership.user.has_usable_password():  # CU8: someone with an account signs in
        with zeal_ignore():  # signing in reads the session twice; that is not an N+1
            browser.force_login(membership.user)
        response = browser.post(link)
    else:
        response = browser.post(
            link,
            {"full_name": "Nina", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
        )
    assert response.status_code == 302


def permissions_of(world: World, email: str) -> rules.PermissionSet:
    """As the person's next request sees them: read again from the database."""
    membership = (
        Membership.objects.select_related("client_profile", "user")
        .filter(portal=world.portal, user__email=email)
        .first()
    )
    assert membership is not None
    assert membership.status == MembershipStatus.ACTIVE
    return rules.permissions(membership, world.project)


def customised_control(world: World) -> None:
    """The client persona, on the project through CU6 and customised there (PE2) with the
    profile's set of today: pinned, so the edit must not reach them."""
    client_users.client_user_update(
        membership=world.client, actor=None, add_projects=[world.project]
    )
    member = ProjectMember.objects.get(project=world.project, membership=world.client)
    customisations.member_permissions_customise(
        member=member, permissions=BUILTIN, actor=world.admin.user
    )


def edit_profile_on_its_page(world: World, admin: Client) -> None:
    profile = profiles.client_profile_builtin(portal=world.portal)
    response = admin.post(
        resolve_url("access:profile-permissions", portal_slug="acme", profile_id=profile.pk),
        grid(EDITED),
    )
    assert response.status_code == 302


@pytest.mark.parametrize("add_path", PATHS, ids=lambda path: path.__name__)
def test_pe6_someone_added_through_the_pages_follows_a_profile_edit_at_once(
    world: World, add_path: AddPath
) -> None:
    admin = world.client_for(world.admin)
    customised_control(world)
    add_path(world, admin, NINA)
    accept(NINA)
    assert permissions_of(world, NINA) == rules.profile_permissions(BUILTIN)
    assert not PermissionOverride.objects.filter(member__membership__user__email=NINA).exists()

    edit_profile_on_its_page(world, admin)

    after = permissions_of(world, NINA)
    assert after == rules.profile_permissions(EDITED)
    assert (after[MILESTONES_ADD], after[TASKS_ADD]) == (Level.ALL, Level.NONE)
    # The customised member keeps their own set.
    assert permissions_of(world, world.client.user.email) == rules.profile_permissions(BUILTIN)


def test_pe6_someone_with_an_account_who_accepts_while_signed_in_follows_a_profile_edit(
    world: World,
) -> None:
    """CU8: the other portal's admin, invited here as a client user (CU1 page), accepts
    signed in; the edit of their profile here reaches them at once."""
    admin = world.client_for(world.admin)
    email = world.other_admin.user.email
    assert world.other_admin.user.check_password(PASSWORD)
    via_cu1_page(world, admin, email)
    accept(email)
    assert permissions_of(world, email) == rules.profile_permissions(BUILTIN)

    edit_profile_on_its_page(world, admin)

    assert permissions_of(world, email) == rules.profile_permissions(EDITED)


def test_pe6_people_added_through_every_page_all_follow_one_profile_edit(world: World) -> None:
    admin = world.client_for(world.admin)
    customised_control(world)
    emails = [f"{path.__name__}@bowman.test" for path in PATHS]
    for path, email in zip(PATHS, emails, strict=True):
        path(world, admin, email)
        accept(email)

    edit_profile_on_its_page(world, admin)

    assert {email: permissions_of(world, email) for email in emails} == {
        email: rules.profile_permissions(EDITED) for email in emails
    }
    assert permissions_of(world, world.client.user.email) == rules.profile_permissions(BUILTIN)
