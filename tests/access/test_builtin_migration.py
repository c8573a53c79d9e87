"""Migration access/0006: a portal still without its built-in "Client" profile gets one."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from portail.access.models import ClientProfile
from portail.portals.models import Portal

BEFORE = [("access", "0005_project_edit_is_staff_only")]
AFTER = [("access", "0006_builtin_profiles_again")]


@pytest.mark.django_db(transaction=True)
def test_a_portal_without_the_builtin_profile_gets_it_and_one_with_it_is_left_alone() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)  # only access goes back; no table changes between the two
    bare = Portal.objects.create(name="Bare", slug="bare")
    named = Portal.objects.create(name="Named", slug="named")
    ClientProfile.objects.create(portal=named, name="client", is_default=True)
    done = Portal.objects.create(name="Done", slug="done")
    ClientProfile.objects.create(portal=done, name="Client", is_builtin=True, is_default=True)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)

    builtin = {p.portal_id: p for p in ClientProfile.objects.filter(is_builtin=True)}
    assert builtin[bare.pk].name == "Client"
    assert builtin[bare.pk].is_default
    assert builtin[bare.pk].permissions["users.view"] == "all"
    assert builtin[named.pk].name == "Client (built-in)"
    assert not builtin[named.pk].is_default  # "client" already was the default
    assert ClientProfile.objects.filter(portal=done).count() == 1
