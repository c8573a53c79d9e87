"""audit_events and audit_filter_choices: filters run in SQL, always inside one portal."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pytest_django import DjangoAssertNumQueries

from portail.audit.selectors import audit_events, audit_filter_choices
from tests.audit.conftest import make_event
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_events_are_the_portals_own_newest_first(world: World) -> None:
    older = make_event(world.portal, at=datetime(2026, 1, 1, tzinfo=UTC))
    newer = make_event(world.portal, at=datetime(2026, 1, 2, tzinfo=UTC))
    make_event(world.other_portal, world.other_admin)

    assert list(audit_events(portal=world.portal)) == [newer, older]


def test_an_action_filter_matches_whole_dotted_segments(world: World) -> None:
    created = make_event(world.portal, action="client_company.created")
    updated = make_event(world.portal, action="client_company.updated")
    make_event(world.portal, action="client_company_note.created")
    make_event(world.portal, action="client_user.invited")
    created_by = make_event(world.portal, action="client_company.created_by_import")

    def found(prefix: str) -> set[int]:
        return {e.pk for e in audit_events(portal=world.portal, action_prefix=prefix)}

    assert found("client_company.") == {created.pk, updated.pk, created_by.pk}
    assert found("client_company") == {created.pk, updated.pk, created_by.pk}
    assert found("client_company.created") == {created.pk}
    assert found("client_") == set()


def test_an_action_filter_treats_sql_wildcards_as_text(world: World) -> None:
    make_event(world.portal, action="client_company.created")

    assert list(audit_events(portal=world.portal, action_prefix="%")) == []
    assert list(audit_events(portal=world.portal, action_prefix="client_company.%")) == []


def test_an_actor_of_another_portal_matches_nothing(world: World) -> None:
    make_event(world.portal, world.admin)
    make_event(world.other_portal, world.other_admin)

    assert list(audit_events(portal=world.portal, actor_id=world.other_admin.user_id)) == []


def test_dates_are_whole_days_in_the_portals_time_zone(world: World) -> None:
    world.portal.time_zone = "Pacific/Auckland"  # UTC+13 in January
    world.portal.save()
    # 2026-01-09 11:00 UTC is 2026-01-10 00:00 in Auckland; 10:59 is still the 9th there.
    last_of_9th = make_event(world.portal, at=datetime(2026, 1, 9, 10, 59, 59, tzinfo=UTC))
    first_of_10th = make_event(world.portal, at=datetime(2026, 1, 9, 11, 0, tzinfo=UTC))
    last_of_10th = make_event(world.portal, at=datetime(2026, 1, 10, 10, 59, 59, tzinfo=UTC))
    first_of_11th = make_event(world.portal, at=datetime(2026, 1, 10, 11, 0, tzinfo=UTC))

    tenth = audit_events(portal=world.portal, since=date(2026, 1, 10), until=date(2026, 1, 10))
    since_10th = audit_events(portal=world.portal, since=date(2026, 1, 10))
    until_10th = audit_events(portal=world.portal, until=date(2026, 1, 10))

    assert list(tenth) == [last_of_10th, first_of_10th]
    assert list(since_10th) == [first_of_11th, last_of_10th, first_of_10th]
    assert list(until_10th) == [last_of_10th, first_of_10th, last_of_9th]


def test_the_ends_of_the_calendar_do_not_overflow(world: World) -> None:
    event = make_event(world.portal)

    for zone in ("Etc/GMT-14", "Etc/GMT+12"):  # UTC+14 and UTC-12
        world.portal.time_zone = zone
        everything = audit_events(portal=world.portal, since=date.min, until=date.max)
        assert list(everything) == [event]


def test_filter_choices_list_the_portals_actors_and_actions_in_two_queries(
    world: World, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    make_event(world.portal, world.manager, action="client_user.invited")
    make_event(world.portal, world.admin, action="client_company.created")
    make_event(world.portal, world.admin, action="client_company.created")
    make_event(world.portal, None, action="invitation.expired")
    make_event(world.other_portal, world.other_admin, action="client_profile.created")

    with django_assert_num_queries(2):
        choices = audit_filter_choices(portal=world.portal)

    assert choices.actors == [
        (world.admin.user_id, "Ada Admin (admin@acme.test)"),
        (world.manager.user_id, "Max Manager (manager@acme.test)"),
    ]
    assert choices.actions == [
        "client_company.created",
        "client_user.invited",
        "invitation.expired",
    ]
