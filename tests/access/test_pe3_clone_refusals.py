"""PE3: each refusal of cloning a customisation, one test each. Every refusal names the
problem (and the person), and nothing is stored: all or nothing, so a valid target chosen
in the same action gets nothing either, and no audit event is written.

The people are put on the project, and taken off it, through the client services a
request uses (CU1, PC8, CU7).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from portail.access import customisations, profiles
from portail.access.catalogue import builtin_client_permissions
from portail.access.models import PermissionOverride
from portail.audit.models import AuditEvent
from portail.clients import client_users, companies, project_clients
from portail.portals.models import Membership, MembershipKind, MembershipStatus
from portail.projects.models import Project, ProjectMember
from portail.projects.permissions import TASKS_ADD
from tests.conftest import World, make_project

pytestmark = pytest.mark.django_db

BUILTIN = {code: str(level) for code, level in builtin_client_permissions().items()}
NO_ADD = {**BUILTIN, TASKS_ADD: "none"}


def on(world: World, name: str, project: Project | None = None) -> ProjectMember:
    """A client user of the persona's company, active, put on the project by CU1."""
    project = project or world.project
    membership = client_users.client_user_add(
        portal=world.portal,
        actor=world.admin.user,
        email=f"{name.lower()}@bowman.test",
        full_name=f"{name} Bowman",
        company=world.client.client_company,
        projects=[project],
        invite=False,
    )
    member = (
        ProjectMember.objects.select_related("membership__user")
        .filter(project=project, membership=membership)
        .first()
    )
    assert member is not None
    return member


@pytest.fixture
def source(world: World) -> ProjectMember:
    """Rita, customised in the project: the person to copy from."""
    rita = on(world, "Rita")
    customisations.member_permissions_customise(
        member=rita, permissions=NO_ADD, actor=world.admin.user
    )
    return rita


@pytest.fixture
def valid(world: World) -> ProjectMember:
    """Sam, a target that is fine: chosen with each wrong one, he must get nothing."""
    return on(world, "Sam")


def clone(source: ProjectMember, *targets: ProjectMember, world: World) -> Any:
    return customisations.member_permissions_clone(
        source=source, targets=list(targets), actor=world.admin.user
    )


def refusal(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return error.value.message_dict


def assert_nothing_stored(source: ProjectMember | None = None) -> None:
    """Only the source's own customisation exists (or none at all), and nothing was cloned."""
    expected = [] if source is None else [source.pk]
    assert list(PermissionOverride.objects.values_list("member_id", flat=True)) == expected
    assert not AuditEvent.objects.filter(action="permission_override.cloned").exists()


def test_pe3_clone_refuses_an_empty_selection(world: World, source: ProjectMember) -> None:
    with pytest.raises(ValidationError) as refused:
        clone(source, world=world)

    assert refusal(refused) == {"targets": ["Tick at least one client user to copy to."]}
    assert_nothing_stored(source)


def test_pe3_clone_refuses_a_source_without_a_customisation(
    world: World, valid: ProjectMember
) -> None:
    plain = on(world, "Tina")

    with pytest.raises(ValidationError) as refused:
        clone(plain, valid, world=world)

    assert refusal(refused) == {
        NON_FIELD_ERRORS: [
            "Tina Bowman has no customisation to copy: they have their profile’s permissions."
        ]
    }
    assert_nothing_stored()


def test_pe3_clone_refuses_a_source_taken_off_the_project(
    world: World, source: ProjectMember, valid: ProjectMember
) -> None:
    project_clients.project_client_user_remove(
        project=world.project, member=source, actor=world.admin.user, notify=False
    )

    with pytest.raises(ValidationError) as refused:
        clone(source, valid, world=world)

    assert refusal(refused) == {
        NON_FIELD_ERRORS: ["The person you copy from is no longer on the project."]
    }
    assert_nothing_stored()


def test_pe3_clone_refuses_a_target_taken_off_the_project(
    world: World, source: ProjectMember, valid: ProjectMember
) -> None:
    gone = on(world, "Gary")
    project_clients.project_client_user_remove(
        project=world.project, member=gone, actor=world.admin.user, notify=False
    )

    with pytest.raises(ValidationError) as refused:
        clone(source, valid, gone, world=world)

    assert refusal(refused) == {
        "targets": ["One of the people you chose is no longer on the project."]
    }
    assert_nothing_stored(source)


def test_pe3_clone_refuses_the_source_as_its_own_target(
    world: World, source: ProjectMember, valid: ProjectMember
) -> None:
    with pytest.raises(ValidationError) as refused:
        clone(source, valid, source, world=world)

    assert refusal(refused) == {"targets": ["Rita Bowman is the person you copy from."]}
    assert_nothing_stored(source)
    assert PermissionOverride.objects.get(member=source).permissions == (
        profiles.check_permissions(NO_ADD)
    )


def test_pe3_clone_refuses_a_client_user_of_another_project(
    world: World, source: ProjectMember, valid: ProjectMember
) -> None:
    elsewhere = on(world, "Olive", make_project(world.portal, world.admin, "Catalogue"))

    with pytest.raises(ValidationError) as refused:
        clone(source, valid, elsewhere, world=world)

    assert refusal(refused) == {"targets": ["Olive Bowman is not a member of this project."]}
    assert_nothing_stored(source)


def test_pe3_clone_refuses_a_member_of_another_portal(
    world: World, source: ProjectMember, valid: ProjectMember
) -> None:
    theirs = ProjectMember.objects.select_related("membership__user").get(
        project=world.other_project
    )

    with pytest.raises(ValidationError) as refused:
        clone(source, valid, theirs, world=world)

    assert refusal(refused) == {"targets": ["Olga Other is not a member of this project."]}
    assert_nothing_stored(source)


def test_pe3_clone_refuses_a_row_that_claims_the_project_but_is_of_another_portal(
    world: World, source: ProjectMember, valid: ProjectMember
) -> None:
    """Tenancy, checked on the row itself: a client user of the other portal on a row that
    names this project (which no service makes) is refused, not customised."""
    company = companies.company_create(portal=world.other_portal, actor=None, name="Far")
    stranger = client_users.client_user_add(
        portal=world.other_portal,
        actor=None,
        email="stan@far.test",
        full_name="Stan Far",
        company=company,
        invite=False,
    )
    forged = ProjectMember.objects.create(
        portal=world.other_portal, project=world.project, membership=stranger
    )

    with pytest.raises(ValidationError) as refused:
        clone(source, valid, forged, world=world)

    assert refusal(refused) == {"targets": ["Stan Far is not a member of this project."]}
    assert_nothing_stored(source)


def test_pe3_clone_refuses_a_staff_member(
    world: World, source: ProjectMember, valid: ProjectMember
) -> None:
    staff = ProjectMember.objects.select_related("membership__user").get(
        project=world.project, membership=world.employee
    )
    assert staff.membership.kind == MembershipKind.STAFF

    with pytest.raises(ValidationError) as refused:
        clone(source, valid, staff, world=world)

    assert refusal(refused) == {
        "targets": ["Emma Employee is staff: staff permissions cannot be customised."]
    }
    assert_nothing_stored(source)


def test_pe3_clone_refuses_a_client_user_removed_from_the_portal(
    world: World, source: ProjectMember, valid: ProjectMember
) -> None:
    """A row left behind for someone the portal removed (CU7 ends their project rows; this
    is the guard if one is left) is not a client user any more."""
    gone = on(world, "Gwen")
    Membership.objects.filter(pk=gone.membership_id).update(status=MembershipStatus.DEACTIVATED)

    with pytest.raises(ValidationError) as refused:
        clone(source, valid, gone, world=world)

    assert refusal(refused) == {
        "targets": ["Gwen Bowman is no longer a client user of this portal."]
    }
    assert_nothing_stored(source)


def test_pe3_clone_names_every_wrong_target_at_once(
    world: World, source: ProjectMember, valid: ProjectMember
) -> None:
    staff = ProjectMember.objects.select_related("membership__user").get(
        project=world.project, membership=world.employee
    )
    elsewhere = on(world, "Olive", make_project(world.portal, world.admin, "Catalogue"))

    with pytest.raises(ValidationError) as refused:
        clone(source, valid, staff, elsewhere, world=world)

    assert refusal(refused) == {
        "targets": [
            "Emma Employee is staff: staff permissions cannot be customised.",
            "Olive Bowman is not a member of this project.",
        ]
    }
    assert_nothing_stored(source)


def test_pe3_without_the_wrong_target_the_same_clone_copies(
    world: World, source: ProjectMember, valid: ProjectMember
) -> None:
    """The control: the fixtures are right, so each refusal above is the wrong target's."""
    clone(source, valid, world=world)

    assert PermissionOverride.objects.get(member=valid).permissions == (
        profiles.check_permissions(NO_ADD)
    )
