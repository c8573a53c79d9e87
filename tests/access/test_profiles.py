"""Client profiles (PE1, PE6): what services do with them, and what they refuse."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from pytest_django import DjangoAssertNumQueries

from portail.access import profile_selectors, rules
from portail.access import profiles as services
from portail.access.catalogue import Level, builtin_client_permissions, client_codes
from portail.access.models import ClientProfile
from portail.audit.models import AuditEvent
from portail.portals.models import Membership, MembershipStatus
from portail.projects.models import ProjectMember
from portail.projects.permissions import (
    MILESTONES_ADD,
    MILESTONES_VIEW,
    PROJECT_EDIT,
    PROJECT_VIEW,
    TASKS_ADD,
    TASKS_EDIT,
    TASKS_VIEW,
)
from tests.conftest import World, make_member

pytestmark = pytest.mark.django_db

NONE_AT_ALL = {code: "none" for code in client_codes()}


def create(world: World, name: str = "Reviewer", **kwargs: Any) -> ClientProfile:
    return services.client_profile_create(
        portal=world.portal, actor=world.admin.user, name=name, **kwargs
    )


def builtin(world: World) -> ClientProfile:
    return services.client_profile_builtin(portal=world.portal)


def on_project(world: World, membership: Membership) -> None:
    ProjectMember.objects.create(portal=world.portal, project=world.project, membership=membership)


def give(membership: Membership, profile: ClientProfile) -> None:
    membership.client_profile = profile
    membership.save(update_fields=["client_profile"])


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


# PE1, PE6 ---------------------------------------------------------------------------------


def test_pe1_client_permissions_come_from_their_profile(world: World) -> None:
    on_project(world, world.client)
    assert rules.permissions(world.client, world.project) == rules.profile_permissions(
        builtin_client_permissions()
    )

    reviewer = create(
        world, permissions={PROJECT_VIEW: "all", TASKS_VIEW: "all", TASKS_EDIT: "own"}
    )
    give(world.client, reviewer)

    assert rules.permissions(world.client, world.project) == {
        **rules.nothing(),
        PROJECT_VIEW: Level.ALL,
        TASKS_VIEW: Level.ALL,
        TASKS_EDIT: Level.OWN,
    }
    assert not rules.can(world.client, world.project, PROJECT_EDIT)
    assert not rules.can(world.client, world.project, TASKS_ADD)


def test_pe5_editing_the_project_is_staff_only_no_client_set_grants_it(world: World) -> None:
    """project.edit guards staff pages only; a client set that asks for it is refused by
    name, and one stored before (a profile of an older version) grants nothing."""
    profile = create(world, permissions={PROJECT_VIEW: "all"})
    with pytest.raises(ValidationError) as caught:
        services.client_profile_set_permissions(
            profile=profile, actor=None, permissions={PROJECT_EDIT: "all"}
        )
    assert caught.value.message_dict == {
        "permissions": ["“project.edit” is for staff only: a client user cannot be given it."]
    }
    profile.refresh_from_db()
    assert PROJECT_EDIT not in profile.permissions
    ClientProfile.objects.filter(pk=profile.pk).update(
        permissions={PROJECT_VIEW: "all", PROJECT_EDIT: "all"}
    )
    give(world.client, profile)
    ProjectMember.objects.create(
        portal=world.portal, project=world.project, membership=world.client
    )
    assert not rules.can(world.client, world.project, PROJECT_EDIT)
    assert rules.can(world.client, world.project, PROJECT_VIEW)


def test_pe1_a_profile_gives_nothing_in_a_project_the_client_is_not_on(world: World) -> None:
    give(world.client, create(world, permissions={code: "all" for code in client_codes()}))
    assert rules.permissions(world.client, world.project) == rules.nothing()


def test_pe6_editing_a_profile_changes_every_user_of_it_at_once(world: World) -> None:
    rita = make_member(world.portal, "rita@bowman.test", "client", "Rita Bowman")
    other = make_member(world.portal, "olaf@bowman.test", "client", "Olaf Bowman")
    give(other, create(world, "Other", permissions={TASKS_VIEW: "all"}))
    for membership in (world.client, rita, other):
        on_project(world, membership)

    services.client_profile_set_permissions(
        profile=builtin(world),
        actor=world.admin.user,
        permissions={PROJECT_VIEW: "all", MILESTONES_VIEW: "all"},
    )

    # As the next request of each person sees them: read again from the database.
    fresh = {
        m.user.email: rules.permissions(m, world.project)
        for m in Membership.objects.select_related("client_profile", "user").filter(
            pk__in=[world.client.pk, rita.pk, other.pk]
        )
    }
    changed = {**rules.nothing(), PROJECT_VIEW: Level.ALL, MILESTONES_VIEW: Level.ALL}
    assert fresh == {
        "paul@bowman.test": changed,
        "rita@bowman.test": changed,
        "olaf@bowman.test": {**rules.nothing(), TASKS_VIEW: Level.ALL},
    }


# Create -----------------------------------------------------------------------------------


def test_a_blank_profile_has_every_permission_none_and_is_audited(world: World) -> None:
    profile = create(world, "  Reviewer ")

    assert (profile.name, profile.permissions, profile.is_default, profile.is_builtin) == (
        "Reviewer",
        NONE_AT_ALL,
        False,
        False,
    )
    (event,) = events("client_profile.created")
    assert (event.actor, event.target_id, event.after) == (
        world.admin.user,
        str(profile.pk),
        {"name": "Reviewer", "permissions": NONE_AT_ALL, "clone_of": None},
    )


def test_a_copy_starts_with_the_same_permissions_and_then_lives_its_own_life(
    world: World,
) -> None:
    source = builtin(world)
    copy = create(world, "Client (copy)", clone_of=source)

    assert copy.permissions == {**NONE_AT_ALL, **builtin_client_permissions()}
    assert events("client_profile.created")[0].after["clone_of"] == source.pk

    services.client_profile_set_permissions(profile=source, actor=world.admin.user, permissions={})
    copy.refresh_from_db()
    assert copy.permissions == {**NONE_AT_ALL, **builtin_client_permissions()}


def test_a_copy_of_a_profile_of_another_portal_is_refused(world: World) -> None:
    foreign = services.client_profile_builtin(portal=world.other_portal)

    with pytest.raises(ValidationError) as caught:
        create(world, clone_of=foreign)

    assert caught.value.message_dict == {"clone_of": ["Choose a profile of this portal."]}
    assert not ClientProfile.objects.filter(name="Reviewer").exists()


def test_permissions_and_a_copy_at_once_are_refused(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        create(world, clone_of=builtin(world), permissions={TASKS_VIEW: "all"})
    assert list(caught.value.message_dict) == ["clone_of"]


@pytest.mark.parametrize("name", ["reviewer", "  REVIEWER  ", "Reviewer"])
def test_a_duplicate_name_in_any_case_is_refused_naming_the_existing_profile(
    world: World, name: str
) -> None:
    create(world, "Reviewer")

    with pytest.raises(ValidationError) as caught:
        create(world, name)

    assert caught.value.message_dict == {
        "name": ["A client profile named “Reviewer” already exists."]
    }
    assert ClientProfile.objects.filter(portal=world.portal).count() == 2  # with the built-in


def test_the_same_name_in_another_portal_is_fine(world: World) -> None:
    create(world, "Reviewer")
    services.client_profile_create(
        portal=world.other_portal, actor=world.other_admin.user, name="Reviewer"
    )
    assert ClientProfile.objects.filter(name="Reviewer").count() == 2


def test_a_race_on_the_name_is_the_same_field_error(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check passes (the other request has not committed yet); the constraint decides."""
    create(world, "Reviewer")
    real = services._existing_named
    calls: list[int] = []

    def first_call_misses(*args: Any, **kwargs: Any) -> ClientProfile | None:
        calls.append(1)
        return None if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(services, "_existing_named", first_call_misses)
    with pytest.raises(ValidationError) as caught:
        create(world, "reviewer")

    assert caught.value.message_dict == {
        "name": ["A client profile named “Reviewer” already exists."]
    }


@pytest.mark.parametrize(
    ("name", "message"),
    [("   ", "Give the profile a name."), ("x" * 101, "Use at most 100 characters.")],
)
def test_a_blank_or_too_long_name_is_refused(world: World, name: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        create(world, name)
    assert caught.value.message_dict == {"name": [message]}


def test_the_constraint_refuses_a_duplicate_name_even_without_the_service(world: World) -> None:
    create(world, "Reviewer")
    with pytest.raises(IntegrityError), transaction.atomic():
        ClientProfile.objects.create(portal=world.portal, name=" reviewer")


# Rename -----------------------------------------------------------------------------------


def test_rename_is_audited_and_the_own_name_in_another_case_is_fine(world: World) -> None:
    profile = create(world, "Reviewer")

    services.client_profile_rename(profile=profile, actor=world.admin.user, name=" REVIEWER ")

    profile.refresh_from_db()
    assert profile.name == "REVIEWER"
    (event,) = events("client_profile.renamed")
    assert (event.before, event.after) == ({"name": "Reviewer"}, {"name": "REVIEWER"})


def test_rename_to_another_profiles_name_is_refused(world: World) -> None:
    profile = create(world, "Reviewer")

    with pytest.raises(ValidationError) as caught:
        services.client_profile_rename(profile=profile, actor=world.admin.user, name="client")

    assert caught.value.message_dict == {
        "name": ["A client profile named “Client” already exists."]
    }
    profile.refresh_from_db()
    assert profile.name == "Reviewer"


def test_the_builtin_profile_can_be_renamed(world: World) -> None:
    services.client_profile_rename(profile=builtin(world), actor=world.admin.user, name="Customer")
    assert builtin(world).name == "Customer"


def test_renaming_to_the_same_name_records_nothing(world: World) -> None:
    profile = create(world, "Reviewer")
    services.client_profile_rename(profile=profile, actor=world.admin.user, name="Reviewer ")
    assert events("client_profile.renamed") == []


# Permissions ------------------------------------------------------------------------------


def test_set_permissions_stores_the_full_set_and_audits_what_changed(world: World) -> None:
    profile = builtin(world)

    services.client_profile_set_permissions(
        profile=profile,
        actor=world.admin.user,
        permissions={**builtin_client_permissions(), TASKS_ADD: Level.NONE, MILESTONES_ADD: "all"},
    )

    profile.refresh_from_db()
    assert profile.permissions == {
        **NONE_AT_ALL,
        **builtin_client_permissions(),
        TASKS_ADD: "none",
        MILESTONES_ADD: "all",
    }
    (event,) = events("client_profile.permissions_changed")
    assert (event.before, event.after) == (
        {MILESTONES_ADD: "none", TASKS_ADD: "all"},
        {MILESTONES_ADD: "all", TASKS_ADD: "none"},
    )


def test_saving_the_same_permissions_records_nothing(world: World) -> None:
    profile = builtin(world)
    services.client_profile_set_permissions(
        profile=profile, actor=world.admin.user, permissions=builtin_client_permissions()
    )
    assert events("client_profile.permissions_changed") == []


@pytest.mark.parametrize(
    ("permissions", "message"),
    [
        ({"tasks.fly": "all"}, "“tasks.fly” is not a permission of the catalogue."),
        ({"invoices.view": "all"}, "“invoices.view” is not a permission of the catalogue."),
        ({"project.delete": "all"}, "“project.delete” is not a permission of the catalogue."),
        ({TASKS_VIEW: "some"}, "tasks.view cannot be “some”: use one of none, own, all."),
        ({TASKS_VIEW: ""}, "tasks.view cannot be “”: use one of none, own, all."),
        ({TASKS_ADD: "own"}, "tasks.add cannot be “own”: use one of none, all."),
        ({TASKS_ADD: True}, "tasks.add cannot be “True”: use one of none, all."),
    ],
)
def test_bad_permissions_are_refused_naming_the_code(
    world: World, permissions: dict[str, Any], message: str
) -> None:
    profile = builtin(world)

    with pytest.raises(ValidationError) as caught:
        services.client_profile_set_permissions(
            profile=profile, actor=world.admin.user, permissions=permissions
        )

    assert caught.value.message_dict == {"permissions": [message]}
    profile.refresh_from_db()
    assert profile.permissions == builtin_client_permissions()


def test_bad_permissions_are_refused_on_creation_too(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        create(world, permissions={TASKS_ADD: "own", "tasks.fly": "all"})
    assert caught.value.message_dict == {
        "permissions": [
            "tasks.add cannot be “own”: use one of none, all.",
            "“tasks.fly” is not a permission of the catalogue.",
        ]
    }
    assert not ClientProfile.objects.filter(name="Reviewer").exists()


# Default ----------------------------------------------------------------------------------


def test_set_default_moves_the_mark_in_one_go(world: World) -> None:
    reviewer = create(world, "Reviewer")
    assert builtin(world).is_default

    services.client_profile_set_default(profile=reviewer, actor=world.admin.user)

    assert list(
        ClientProfile.objects.filter(portal=world.portal, is_default=True).values_list(
            "name", flat=True
        )
    ) == ["Reviewer"]
    (event,) = events("client_profile.default_set")
    assert (event.before, event.after) == (
        {"default": builtin(world).pk},
        {"default": reviewer.pk},
    )
    # Again: nothing to do, nothing recorded.
    services.client_profile_set_default(profile=reviewer, actor=world.admin.user)
    assert len(events("client_profile.default_set")) == 1


def test_the_database_holds_one_default_per_portal(world: World) -> None:
    reviewer = create(world, "Reviewer")
    with pytest.raises(IntegrityError), transaction.atomic():
        ClientProfile.objects.filter(pk=reviewer.pk).update(is_default=True)


# Delete -----------------------------------------------------------------------------------


def test_delete_removes_an_unused_profile_and_audits_it(world: World) -> None:
    profile = create(world, "Reviewer", permissions={TASKS_VIEW: "all"})
    pk = profile.pk

    services.client_profile_delete(profile=profile, actor=world.admin.user)

    assert not ClientProfile.objects.filter(pk=pk).exists()
    (event,) = events("client_profile.deleted")
    assert (event.target_id, event.before, event.after) == (
        str(pk),
        {"name": "Reviewer", "permissions": {**NONE_AT_ALL, TASKS_VIEW: "all"}},
        None,
    )


def test_delete_is_refused_while_client_users_use_it_naming_how_many(world: World) -> None:
    profile = create(world, "Reviewer")
    for email in ("a@bowman.test", "b@bowman.test"):
        give(make_member(world.portal, email, "client"), profile)
    give(world.client, profile)

    with pytest.raises(ValidationError) as caught:
        services.client_profile_delete(profile=profile, actor=world.admin.user)

    assert caught.value.message_dict == {
        NON_FIELD_ERRORS: ["3 client users use this profile: move them to another profile first."]
    }
    assert ClientProfile.objects.filter(pk=profile.pk).exists()
    assert events("client_profile.deleted") == []


def test_one_user_is_named_in_the_singular(world: World) -> None:
    profile = create(world, "Reviewer")
    give(world.client, profile)
    with pytest.raises(ValidationError) as caught:
        services.client_profile_delete(profile=profile, actor=world.admin.user)
    assert caught.value.messages == [
        "1 client user uses this profile: move them to another profile first."
    ]


def test_the_builtin_profile_cannot_be_deleted(world: World) -> None:
    profile = builtin(world)
    Membership.objects.filter(client_profile=profile).update(client_profile=create(world))

    with pytest.raises(ValidationError) as caught:
        services.client_profile_delete(profile=profile, actor=world.admin.user)

    assert caught.value.messages == ["The built-in profile “Client” cannot be deleted."]
    assert ClientProfile.objects.filter(pk=profile.pk).exists()


def test_the_default_profile_cannot_be_deleted_until_another_is_default(world: World) -> None:
    reviewer = create(world, "Reviewer")
    services.client_profile_set_default(profile=reviewer, actor=world.admin.user)

    with pytest.raises(ValidationError) as caught:
        services.client_profile_delete(profile=reviewer, actor=world.admin.user)
    assert caught.value.messages == [
        "“Reviewer” is the default profile: make another profile the default first."
    ]

    services.client_profile_set_default(profile=builtin(world), actor=world.admin.user)
    services.client_profile_delete(profile=reviewer, actor=world.admin.user)
    assert not ClientProfile.objects.filter(pk=reviewer.pk).exists()


def test_people_removed_from_the_portal_do_not_hold_a_profile_back(world: World) -> None:
    profile = create(world, "Reviewer")
    give(world.client, profile)
    Membership.objects.filter(pk=world.client.pk).update(status=MembershipStatus.DEACTIVATED)

    services.client_profile_delete(profile=profile, actor=world.admin.user)

    world.client.refresh_from_db()
    assert world.client.client_profile_id == builtin(world).pk
    assert events("client_profile.deleted")[0].after == {
        "removed_users_moved_to": builtin(world).pk,
        "removed_users": [world.client.pk],
    }


def test_a_user_given_the_profile_during_the_delete_is_reported_not_a_crash(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The count said nobody; the foreign key disagrees: the same message, nothing deleted."""
    profile = create(world, "Reviewer")

    def protected(self: ClientProfile, *args: Any, **kwargs: Any) -> Any:
        give(world.client, profile)
        raise ProtectedError("in use", set())

    monkeypatch.setattr(ClientProfile, "delete", protected)
    with pytest.raises(ValidationError) as caught:
        services.client_profile_delete(profile=profile, actor=world.admin.user)
    assert caught.value.messages == [
        "1 client user uses this profile: move them to another profile first."
    ]


# Selectors --------------------------------------------------------------------------------


def test_profiles_come_with_their_user_count_in_one_query(
    world: World, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    reviewer = create(world, "reviewer")
    create(world, "Accountant")
    give(make_member(world.portal, "a@bowman.test", "client"), reviewer)
    removed = make_member(world.portal, "b@bowman.test", "client")
    give(removed, reviewer)
    Membership.objects.filter(pk=removed.pk).update(status=MembershipStatus.DEACTIVATED)
    invited = make_member(world.portal, "c@bowman.test", "client")
    Membership.objects.filter(pk=invited.pk).update(status=MembershipStatus.INVITED)
    services.client_profile_builtin(portal=world.other_portal)

    with django_assert_num_queries(1):
        found = [
            (p.name, p.user_count) for p in profile_selectors.client_profiles(portal=world.portal)
        ]

    # The built-in first, then by name whatever the case; removed people are not counted.
    assert found == [("Client", 2), ("Accountant", 0), ("reviewer", 1)]
