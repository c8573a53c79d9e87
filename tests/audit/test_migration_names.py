"""Migration audit/0003: earlier events in the one convention (names kept with the ids,
one key for putting someone on a project)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from portail.audit.models import AuditEvent
from portail.clients.models import ClientCompany
from portail.projects.models import ProjectMember
from tests.audit.conftest import make_event
from tests.conftest import World

BEFORE = [("audit", "0002_names")]
AFTER = [("audit", "0003_names_of_earlier_events")]


@pytest.mark.django_db(transaction=True)
def test_earlier_events_get_the_names_of_their_rows_and_one_key_per_action(
    world: World,
) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)  # only audit goes back; the tables are the same
    company = ClientCompany.objects.create(portal=world.portal, name="Bowman Furniture")
    member = ProjectMember.objects.get(project=world.project, membership=world.employee)
    added = make_event(
        world.portal,
        world.admin,
        action="client_user.added",
        target_type="portals.membership",
        target_id=str(world.client.pk),
        after={"company": company.pk, "projects": [world.project.pk, 999999]},
    )
    staff = make_event(
        world.portal,
        world.admin,
        action="project.member_added",
        target_type="projects.project",
        target_id=str(world.project.pk),
        after={"member": "employee@acme.test"},
    )
    rate = make_event(
        world.portal,
        world.admin,
        action="project_member.rate_changed",
        target_type="projects.projectmember",
        target_id=str(member.pk),
        target_label=f"{world.employee.pk} in project {world.project.pk}",
    )

    MigrationExecutor(connection).migrate(AFTER)

    added.refresh_from_db()
    assert added.names == {
        "company": {"type": "clients.clientcompany", "rows": {str(company.pk): "Bowman Furniture"}},
        "projects": {"type": "projects.project", "rows": {str(world.project.pk): "Website"}},
    }
    staff.refresh_from_db()
    assert staff.action == "project_member.added"
    assert staff.after == {"member": "employee@acme.test"}
    rate.refresh_from_db()
    assert rate.target_label == "employee@acme.test · Website"
    assert AuditEvent.objects.filter(action="project.member_added").count() == 0
