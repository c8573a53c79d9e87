"""audit_log: what one record holds, and that it lives and dies with the change it records."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import pytest
from django.db import transaction

from portail.audit.models import AuditEvent
from portail.audit.services import audit_log
from portail.projects.models import Project
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_audit_log_records_actor_action_and_target(world: World) -> None:
    event = audit_log(
        portal=world.portal,
        actor=world.admin.user,
        action="project.renamed",
        target=world.project,
        before={"name": "Website"},
        after={"name": "New website"},
    )

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.portal_id == world.portal.pk
    assert (stored.actor_id, stored.actor_label) == (world.admin.user.pk, "admin@acme.test")
    assert stored.action == "project.renamed"
    assert (stored.target_type, stored.target_id, stored.target_label) == (
        "projects.project",
        str(world.project.pk),
        "Website",
    )
    assert (stored.before, stored.after) == ({"name": "Website"}, {"name": "New website"})
    assert stored.created_at is not None


def test_dates_decimals_and_uuids_are_stored_as_json_strings(world: World) -> None:
    event = audit_log(
        portal=world.portal,
        actor=world.admin.user,
        action="project.updated",
        target=world.project,
        before={"hourly_rate": Decimal("80.00"), "end_date": None},
        after={
            "hourly_rate": Decimal("92.50"),
            "end_date": date(2026, 3, 31),
            "archived_at": datetime(2026, 1, 2, 10, 30, tzinfo=UTC),
            "token": UUID("12345678-1234-5678-1234-567812345678"),
        },
    )

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.before == {"hourly_rate": "80.00", "end_date": None}
    assert stored.after == {
        "hourly_rate": "92.50",
        "end_date": "2026-03-31",
        "archived_at": "2026-01-02T10:30:00Z",
        "token": "12345678-1234-5678-1234-567812345678",
    }
    # The returned event holds what the database holds, not the Python values.
    assert (event.before, event.after) == (stored.before, stored.after)


def test_a_creation_has_no_before_and_a_deletion_no_after(world: World) -> None:
    created = audit_log(
        portal=world.portal,
        actor=world.admin.user,
        action="project.created",
        target=world.project,
        after={"name": "Website"},
    )
    deleted = audit_log(
        portal=world.portal,
        actor=world.admin.user,
        action="project.deleted",
        target=world.project,
        before={"name": "Website"},
    )

    created.refresh_from_db()
    deleted.refresh_from_db()
    assert (created.before, created.after) == (None, {"name": "Website"})
    assert (deleted.before, deleted.after) == ({"name": "Website"}, None)


def test_a_change_by_the_system_has_no_actor(world: World) -> None:
    event = audit_log(
        portal=world.portal, actor=None, action="project.archived", target=world.project
    )

    event.refresh_from_db()
    assert (event.actor, event.actor_label) == (None, "")


def test_the_record_survives_the_deletion_of_its_actor(world: World) -> None:
    event = audit_log(
        portal=world.portal,
        actor=world.outsider.user,
        action="project.renamed",
        target=world.project,
    )

    world.outsider.user.delete()

    event.refresh_from_db()
    assert (event.actor, event.actor_label) == (None, "outsider@acme.test")


def test_the_record_rolls_back_with_the_change(world: World) -> None:
    class Refused(Exception):
        pass

    @transaction.atomic
    def rename_then_fail() -> None:
        Project.objects.filter(pk=world.project.pk).update(name="Renamed")
        audit_log(
            portal=world.portal,
            actor=world.admin.user,
            action="project.renamed",
            target=world.project,
            before={"name": "Website"},
            after={"name": "Renamed"},
        )
        raise Refused

    with pytest.raises(Refused):
        rename_then_fail()

    assert not AuditEvent.objects.exists()
    world.project.refresh_from_db()
    assert world.project.name == "Website"


def test_the_record_commits_with_the_change(world: World) -> None:
    with transaction.atomic():
        audit_log(
            portal=world.portal,
            actor=world.admin.user,
            action="project.renamed",
            target=world.project,
        )

    assert AuditEvent.objects.filter(portal=world.portal, action="project.renamed").count() == 1


@pytest.mark.parametrize(
    "action", ["", "created", "Project.Created", "project..created", "a" * 40 + "." + "b" * 40]
)
def test_an_action_that_is_not_a_dotted_key_is_refused(world: World, action: str) -> None:
    with pytest.raises(ValueError, match="dotted key"):
        audit_log(portal=world.portal, actor=None, action=action, target=world.project)
    assert not AuditEvent.objects.exists()


def test_a_target_of_another_portal_is_refused(world: World) -> None:
    with pytest.raises(ValueError, match="another portal"):
        audit_log(
            portal=world.portal, actor=None, action="project.renamed", target=world.other_project
        )


def test_an_unsaved_or_deleted_target_is_refused(world: World) -> None:
    unsaved = Project(portal=world.portal, name="Draft", owner=world.admin)
    deleted = Project.objects.create(portal=world.portal, name="Gone", owner=world.admin)
    deleted.delete()  # clears deleted.pk

    for target in (unsaved, deleted):
        with pytest.raises(ValueError, match="before delete"):
            audit_log(portal=world.portal, actor=None, action="project.deleted", target=target)


def test_a_value_json_cannot_hold_fails_at_the_call(world: World) -> None:
    with pytest.raises(TypeError):
        audit_log(
            portal=world.portal,
            actor=None,
            action="project.updated",
            target=world.project,
            after={"tags": {"a", "b"}},
        )


def test_rows_are_stored_as_ids_with_their_names_as_they_were(world: World) -> None:
    """One convention for every app: a row in `before`/`after` is kept as its id, and the
    event keeps its name at that moment, so a later rename or deletion changes nothing."""
    event = audit_log(
        portal=world.portal,
        actor=world.admin.user,
        action="project.updated",
        target=world.project,
        before={"owner": world.admin, "members": []},
        after={"owner": world.manager, "members": [world.employee, world.outsider]},
    )
    world.project.name = "Renamed"
    world.project.save()

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.before == {"owner": world.admin.pk, "members": []}
    assert stored.after == {
        "owner": world.manager.pk,
        "members": [world.employee.pk, world.outsider.pk],
    }
    assert stored.names == {
        "owner": {
            "type": "portals.membership",
            "rows": {
                str(world.admin.pk): "admin@acme.test",
                str(world.manager.pk): "manager@acme.test",
            },
        },
        "members": {
            "type": "portals.membership",
            "rows": {
                str(world.employee.pk): "employee@acme.test",
                str(world.outsider.pk): "outsider@acme.test",
            },
        },
    }
    assert stored.target_label == "Website"


def test_a_row_of_another_portal_or_an_unsaved_one_is_refused(world: World) -> None:
    with pytest.raises(ValueError, match="another portal"):
        audit_log(
            portal=world.portal,
            actor=None,
            action="project.updated",
            target=world.project,
            after={"owner": world.other_admin},
        )
    with pytest.raises(ValueError, match="unsaved"):
        audit_log(
            portal=world.portal,
            actor=None,
            action="project.updated",
            target=world.project,
            after={"copy": Project(portal=world.portal, name="Draft")},
        )
    assert not AuditEvent.objects.exists()
