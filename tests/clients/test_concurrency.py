"""PC3/PC4 under concurrent requests (PostgreSQL: SQLite serialises writers anyway)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from portail.clients import project_clients
from portail.clients.companies import company_create
from portail.clients.models import ProjectClient
from tests.conftest import World

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs concurrent transactions"
)


@pytest.mark.django_db(transaction=True)
def test_pc4_two_concurrent_first_additions_make_one_primary(world: World) -> None:
    companies = [
        company_create(portal=world.portal, actor=None, name=name) for name in ("First", "Second")
    ]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def add(index: int) -> None:
        try:
            barrier.wait()
            project_clients.project_client_add(
                project=world.project, company=companies[index], actor=None
            )
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    flags = sorted(
        ProjectClient.objects.filter(project=world.project).values_list("is_primary", flat=True)
    )
    assert flags == [False, True]
