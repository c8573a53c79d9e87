"""Customised permissions of a client user in one project: customise (PE2), clone (PE3),
reset (PE4), profile edits reaching the others at once (PE6), and the diff staff read (PE7)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from pytest_django import DjangoAssertNumQueries

from portail.access import customisations, member_selectors, profiles, rules
from portail.access.catalogue import Level, builtin_client_permissions, client_codes
from portail.access.models import PermissionOverride
from portail.audit.models import AuditEvent
from portail.portals.models import Membership
from portail.projects.models import Project, ProjectMember
from portail.projects.permissions import MILESTONES_ADD, TASKS_ADD, TASKS_DELETE, TASKS_EDIT
from tests.conftest import World, make_member, make_project

pytestmark = pytest.mark.django_db

BUILTIN = {code: str(level) for code, level in builtin_client_permissions().items()}
NO_ADD = {**BUILTIN, TASKS_ADD: "none"}


def join(membership: Membership, project: Project) -> ProjectMember:
    return ProjectMember.objects.create(
        portal_id=project.portal_id, project=project, membership=membership
    )


def client(world: World, name: str) -> Membership:
    """Another client user of the persona's company, active, with the built-in profile."""
    return make_member(world.portal, f"{name.lower()}@bowman.test", "client", f"{name} Bowman")


def full(levels: dict[str, str]) -> dict[str, str]:
    return {code: levels.get(code, "none") for code in sorted(client_codes())}


def stored(member: ProjectMember) -> dict[str, str] | None:
    row = PermissionOverride.objects.filter(member=member).first()
    return None if row is None else dict(row.permissions)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).select_related("actor").order_by("pk"))


def customise(world: World, member: ProjectMember, levels: dict[str, str]) -> PermissionOverride:
    return customisations.member_permissions_customise(
        member=member, permissions=levels, actor=world.admin.user
    )


def fresh(membership: Membership) -> Membership:
    found = Membership.objects.select_related("client_profile").filter(pk=membership.pk).first()
    assert found is not None
    return found


def level(membership: Membership, project: Project, code: str) -> Level:
    return rules.permissions(fresh(membership), project)[code]


# PE2 --------------------------------------------------------------------------------------


def test_pe2_customise_stores_the_full_set_for_that_project_only(world: World) -> None:
    member = join(world.client, world.project)
    elsewhere = make_project(world.portal, world.admin, "Catalogue")
    join(world.client, elsewhere)

    override = customise(world, member, NO_ADD)

    assert override.permissions == full(NO_ADD)  # every code, absent ones as none
    assert override.updated_by == world.admin.user
    assert level(world.client, world.project, TASKS_ADD) == Level.NONE
    assert level(world.client, elsewhere, TASKS_ADD) == Level.ALL  # the profile, there
    [event] = events("permission_override.set")
    assert event.actor == world.admin.user
    assert event.before is None
    assert event.after == {
        "project": world.project.pk,
        "membership": world.client.pk,
        "permissions": full(NO_ADD),
    }


def test_pe2_customising_again_replaces_the_set_and_audits_before_and_after(
    world: World,
) -> None:
    member = join(world.client, world.project)
    customise(world, member, NO_ADD)

    customise(world, member, {**NO_ADD, MILESTONES_ADD: "all"})

    assert PermissionOverride.objects.filter(member=member).count() == 1
    assert level(world.client, world.project, MILESTONES_ADD) == Level.ALL
    last = events("permission_override.set")[-1]
    assert last.before == {"permissions": full(NO_ADD)}
    assert last.after is not None
    assert last.after["permissions"] == full({**NO_ADD, MILESTONES_ADD: "all"})


def test_pe2_saving_the_same_set_again_changes_and_audits_nothing(world: World) -> None:
    member = join(world.client, world.project)
    customise(world, member, NO_ADD)

    customise(world, member, NO_ADD)

    assert len(events("permission_override.set")) == 1


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"invoices.view": "all"}, "“invoices.view” is not a permission of the catalogue."),
        ({TASKS_EDIT: "some"}, "tasks.edit cannot be “some”: use one of none, own, all."),
        ({TASKS_ADD: "own"}, "tasks.add cannot be “own”: use one of none, all."),
        ({TASKS_DELETE: 3}, "tasks.delete cannot be “3”: use one of none, own, all."),
    ],
)
def test_pe2_an_unknown_code_or_a_bad_level_is_refused_and_nothing_is_stored(
    world: World, bad: dict[str, Any], message: str
) -> None:
    member = join(world.client, world.project)
    customise(world, member, NO_ADD)

    with pytest.raises(ValidationError) as refused:
        customise(world, member, {**BUILTIN, **bad})

    assert refused.value.message_dict == {"permissions": [message]}
    assert stored(member) == full(NO_ADD)
    assert len(events("permission_override.set")) == 1


def test_pe2_a_permission_set_that_is_not_a_mapping_is_refused(world: World) -> None:
    member = join(world.client, world.project)

    with pytest.raises(ValidationError) as refused:
        customise(world, member, ["tasks.add"])  # type: ignore[arg-type]

    assert list(refused.value.message_dict) == ["permissions"]
    assert stored(member) is None


def test_pe2_staff_permissions_cannot_be_customised(world: World) -> None:
    member = ProjectMember.objects.get(project=world.project, membership=world.employee)

    with pytest.raises(ValidationError, match="Emma Employee is not a client user"):
        customise(world, member, NO_ADD)

    assert stored(member) is None
    assert events("permission_override.set") == []


def test_pe2_a_removed_client_user_cannot_be_customised(world: World) -> None:
    member = join(world.client, world.project)
    Membership.objects.filter(pk=world.client.pk).update(status="deactivated")

    with pytest.raises(ValidationError, match="Paul Bowman is not a client user"):
        customise(world, member, NO_ADD)

    assert stored(member) is None


def test_pe2_an_invited_client_user_can_be_customised_before_joining(world: World) -> None:
    nora = client(world, "Nora")
    Membership.objects.filter(pk=nora.pk).update(status="invited")
    member = join(nora, world.project)

    customise(world, member, NO_ADD)

    assert stored(member) == full(NO_ADD)


# PE3 --------------------------------------------------------------------------------------


def test_pe3_clone_copies_override_to_selected_users(world: World) -> None:
    source = join(world.client, world.project)
    rita = join(client(world, "Rita"), world.project)
    sam = join(client(world, "Sam"), world.project)
    tina = join(client(world, "Tina"), world.project)
    customise(world, source, NO_ADD)

    copies = customisations.member_permissions_clone(
        source=source, targets=[rita, sam], actor=world.admin.user
    )

    assert [c.member_id for c in copies] == [rita.pk, sam.pk]
    assert stored(rita) == stored(sam) == full(NO_ADD)
    assert stored(tina) is None  # not ticked: still the profile
    assert level(rita.membership, world.project, TASKS_ADD) == Level.NONE
    assert level(tina.membership, world.project, TASKS_ADD) == Level.ALL
    cloned = events("permission_override.cloned")
    assert [(e.actor, e.after["membership"], e.after["copied_from"]) for e in cloned] == [  # type: ignore[index]
        (world.admin.user, rita.membership_id, world.client.pk),
        (world.admin.user, sam.membership_id, world.client.pk),
    ]
    assert all(e.before is None for e in cloned)


def test_pe3_clone_replaces_a_customisation_the_target_already_had(world: World) -> None:
    source = join(world.client, world.project)
    rita = join(client(world, "Rita"), world.project)
    customise(world, source, NO_ADD)
    customise(world, rita, {**BUILTIN, MILESTONES_ADD: "all"})

    customisations.member_permissions_clone(source=source, targets=[rita], actor=world.admin.user)

    assert stored(rita) == full(NO_ADD)
    [event] = events("permission_override.cloned")
    assert event.before == {"permissions": full({**BUILTIN, MILESTONES_ADD: "all"})}


def test_pe3_clone_refuses_staff_and_other_project_members(world: World) -> None:
    source = join(world.client, world.project)
    rita = join(client(world, "Rita"), world.project)
    customise(world, source, NO_ADD)
    staff = ProjectMember.objects.get(project=world.project, membership=world.employee)
    other_project = make_project(world.portal, world.admin, "Catalogue")
    elsewhere = join(client(world, "Olive"), other_project)
    other_portal = ProjectMember.objects.get(project=world.other_project)

    with pytest.raises(ValidationError) as refused:
        customisations.member_permissions_clone(
            source=source,
            targets=[rita, staff, elsewhere, source, other_portal],
            actor=world.admin.user,
        )

    assert refused.value.message_dict == {
        "targets": [
            "Emma Employee is staff: staff permissions cannot be customised.",
            "Olive Bowman is not a member of this project.",
            "Paul Bowman is the person you copy from.",
            "Olga Other is not a member of this project.",
        ]
    }
    # All or nothing: the valid target got nothing either.
    assert stored(rita) is None
    assert PermissionOverride.objects.count() == 1
    assert events("permission_override.cloned") == []


def test_pe3_clone_refuses_when_the_source_has_no_customisation(world: World) -> None:
    source = join(world.client, world.project)
    rita = join(client(world, "Rita"), world.project)

    with pytest.raises(ValidationError, match="Paul Bowman has no customisation to copy"):
        customisations.member_permissions_clone(
            source=source, targets=[rita], actor=world.admin.user
        )

    assert stored(rita) is None


def test_pe3_clone_needs_at_least_one_target(world: World) -> None:
    source = join(world.client, world.project)
    customise(world, source, NO_ADD)

    with pytest.raises(ValidationError) as refused:
        customisations.member_permissions_clone(source=source, targets=[], actor=world.admin.user)

    assert list(refused.value.message_dict) == ["targets"]


def test_pe3_clone_candidates_are_the_other_client_users_of_the_project(
    world: World, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    source = join(world.client, world.project)
    rita = join(client(world, "Rita"), world.project)
    sam = join(client(world, "Sam"), world.project)
    customise(world, sam, NO_ADD)
    join(client(world, "Olive"), make_project(world.portal, world.admin, "Catalogue"))
    gone = join(client(world, "Gary"), world.project)
    Membership.objects.filter(pk=gone.membership_id).update(status="deactivated")
    source = member_selectors.client_member(
        portal=world.portal, project=world.project, membership_id=world.client.pk
    )

    with django_assert_num_queries(1):
        found = [
            (
                m.membership.user.display_name,
                str(m.membership.client_company),
                getattr(m, "is_customised", None),
            )
            for m in member_selectors.clone_candidates(source=source)
        ]

    assert found == [
        ("Rita Bowman", "Bowman Test Co", False),
        ("Sam Bowman", "Bowman Test Co", True),
    ]
    assert {rita.pk, sam.pk} == {m.pk for m in member_selectors.clone_candidates(source=source)}


# PE4 --------------------------------------------------------------------------------------


def test_pe4_reset_reverts_to_profile(world: World) -> None:
    member = join(world.client, world.project)
    customise(world, member, NO_ADD)
    assert level(world.client, world.project, TASKS_ADD) == Level.NONE

    customisations.member_permissions_reset(member=member, actor=world.admin.user)

    assert stored(member) is None
    assert rules.permissions(fresh(world.client), world.project) == rules.profile_permissions(
        BUILTIN
    )
    [event] = events("permission_override.removed")
    assert event.actor == world.admin.user
    assert event.before == {
        "project": world.project.pk,
        "membership": world.client.pk,
        "permissions": full(NO_ADD),
    }
    assert event.after is None


def test_pe4_reset_without_a_customisation_is_refused_clearly(world: World) -> None:
    member = join(world.client, world.project)

    with pytest.raises(ValidationError, match="Paul Bowman has no customisation in this project"):
        customisations.member_permissions_reset(member=member, actor=world.admin.user)

    assert events("permission_override.removed") == []


# PE6 --------------------------------------------------------------------------------------


def test_pe6_a_profile_edit_changes_every_non_customised_user_at_once_not_a_customised_one(
    world: World,
) -> None:
    profile = profiles.client_profile_builtin(portal=world.portal)
    paul = join(world.client, world.project)
    rita = join(client(world, "Rita"), world.project)
    sam = join(client(world, "Sam"), world.project)
    customise(world, sam, BUILTIN)  # the same as the profile today, pinned

    profiles.client_profile_set_permissions(
        profile=profile, actor=world.admin.user, permissions={**BUILTIN, MILESTONES_ADD: "all"}
    )

    assert level(paul.membership, world.project, MILESTONES_ADD) == Level.ALL
    assert level(rita.membership, world.project, MILESTONES_ADD) == Level.ALL
    assert level(sam.membership, world.project, MILESTONES_ADD) == Level.NONE
    assert stored(sam) == full(BUILTIN)
    # Removing the customisation puts Sam back on the profile, edits included.
    customisations.member_permissions_reset(member=sam, actor=world.admin.user)
    assert level(sam.membership, world.project, MILESTONES_ADD) == Level.ALL


def test_pe6_a_user_customised_in_one_project_follows_the_profile_in_the_others(
    world: World,
) -> None:
    profile = profiles.client_profile_builtin(portal=world.portal)
    second = make_project(world.portal, world.admin, "Second")
    customise(world, join(world.client, world.project), BUILTIN)
    join(world.client, second)

    profiles.client_profile_set_permissions(
        profile=profile, actor=world.admin.user, permissions={**BUILTIN, MILESTONES_ADD: "all"}
    )

    assert level(world.client, world.project, MILESTONES_ADD) == Level.NONE  # pinned here
    assert level(world.client, second, MILESTONES_ADD) == Level.ALL  # the profile there


# PE7 --------------------------------------------------------------------------------------


def member_of(world: World, membership: Membership) -> ProjectMember:
    return member_selectors.client_member(
        portal=world.portal, project=world.project, membership_id=membership.pk
    )


def test_pe7_diff_lists_each_code_the_customisation_changes(world: World) -> None:
    join(world.client, world.project)
    customise(
        world,
        member_of(world, world.client),
        {**BUILTIN, TASKS_ADD: "none", TASKS_EDIT: "none", MILESTONES_ADD: "all"},
    )

    diff = member_selectors.permission_diff(member_of(world, world.client))

    assert [(d.code, d.profile_level, d.level) for d in diff.changed] == [
        (MILESTONES_ADD, Level.NONE, Level.ALL),
        (TASKS_ADD, Level.ALL, Level.NONE),
        (TASKS_EDIT, Level.OWN, Level.NONE),
    ]
    assert [(str(d.profile_label), str(d.label)) for d in diff.changed] == [
        ("No", "Yes"),
        ("Yes", "No"),
        ("Own", "None"),
    ]
    assert len(diff.differences) == len(client_codes())


def test_pe7_diff_without_a_customisation_changes_nothing(world: World) -> None:
    join(world.client, world.project)

    diff = member_selectors.permission_diff(member_of(world, world.client))

    assert diff.changed == []
    resolved = rules.profile_permissions(BUILTIN)
    assert {d.code: d.level for d in diff.differences} == {c: resolved[c] for c in client_codes()}


def test_pe7_the_effective_set_is_the_one_rules_resolve(world: World) -> None:
    join(world.client, world.project)
    assert member_selectors.effective_set(member_of(world, world.client)) == rules.permissions(
        fresh(world.client), world.project
    )
    customise(world, member_of(world, world.client), NO_ADD)
    assert member_selectors.effective_set(member_of(world, world.client)) == rules.permissions(
        fresh(world.client), world.project
    )


def test_pe7_the_member_lookup_finds_nobody_but_a_client_of_the_project(
    world: World,
) -> None:
    """None for anyone else: the page answers 404 (test_override_views)."""
    join(world.client, world.project)
    elsewhere = join(client(world, "Olive"), make_project(world.portal, world.admin, "Other"))

    for membership_id in (world.employee.pk, elsewhere.membership_id, world.other_admin.pk):
        assert (
            member_selectors.client_member(
                portal=world.portal, project=world.project, membership_id=membership_id
            )
            is None
        )
    # a project of another portal
    assert (
        member_selectors.client_member(
            portal=world.portal, project=world.other_project, membership_id=world.client.pk
        )
        is None
    )


# Races (PostgreSQL: SQLite serialises writers anyway) --------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions")
@pytest.mark.django_db(transaction=True)
def test_pe2_two_admins_customising_at_once_leave_one_customisation(world: World) -> None:
    member = join(world.client, world.project)
    sets = [NO_ADD, {**BUILTIN, MILESTONES_ADD: "all"}]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def save(index: int) -> None:
        try:
            barrier.wait()
            customisations.member_permissions_customise(
                member=member, permissions=sets[index], actor=world.admin.user
            )
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert stored(member) in (full(sets[0]), full(sets[1]))
    first, second = events("permission_override.set")
    assert first.before is None
    assert second.before == {"permissions": first.after["permissions"]}  # type: ignore[index]
