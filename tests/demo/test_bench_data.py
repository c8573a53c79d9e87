"""`manage.py bench_data`: the benchmark portal, deterministic, in the services' shapes."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings
from zeal import zeal_ignore

from portail.access.models import ClientProfile, PermissionOverride
from portail.accounts.models import User
from portail.clients.models import ProjectClient
from portail.demo.bench_data import (
    BENCH_PASSWORD,
    BULK_COMPANY_NAME,
    BULK_PEOPLE,
    BULK_PROFILE_NAME,
    SCALES,
    bench_portal_build,
)
from portail.portals.models import Membership, MembershipKind, Portal
from portail.projects.models import ProjectMember, Task

pytestmark = pytest.mark.django_db


def shape(portal: Portal) -> tuple[object, ...]:
    return (
        sorted(
            Membership.objects.filter(portal=portal).values_list("user__email", "status", "kind")
        ),
        sorted(
            PermissionOverride.objects.filter(portal=portal).values_list(
                "member__membership__user__email", "member__project__name"
            )
        ),
        sorted(
            ProjectClient.objects.filter(portal=portal).values_list(
                "project__name", "company__name", "is_primary"
            )
        ),
    )


def test_the_small_portal_has_a_project_with_1000_client_users_and_is_the_same_each_time() -> None:
    first = bench_portal_build(scale_name="small")
    before = shape(first.portal)
    again = bench_portal_build(scale_name="small")  # replaces it

    assert Portal.objects.filter(slug="bench-small").count() == 1
    assert shape(again.portal) == before
    scale = SCALES["small"]
    clients_on_big = ProjectMember.objects.filter(
        project=again.big_project, membership__kind=MembershipKind.CLIENT
    )
    assert clients_on_big.count() == 1_000
    assert (
        Task.objects.filter(portal=again.portal).count() == scale.projects * scale.tasks_per_project
    )
    # As the services make them: one primary client per project, one built-in default.
    assert (
        ProjectClient.objects.filter(portal=again.portal, is_primary=True).count() == scale.projects
    )
    assert ClientProfile.objects.get(portal=again.portal, is_default=True).is_builtin


def test_its_people_can_sign_in_and_see_their_pages() -> None:
    built = bench_portal_build(scale_name="small")
    person = User.objects.get(email=built.client_email)
    assert person.check_password(BENCH_PASSWORD)
    client = Client()
    with zeal_ignore():  # signing in reads the session twice; that is not an N+1
        client.force_login(person)
    url = reverse(
        "projects:detail",
        kwargs={"portal_slug": built.portal.slug, "project_id": built.big_project.pk},
    )
    assert client.get(url).status_code == 200


def test_the_command_refuses_without_debug_and_says_what_it_built(
    settings: Settings,
) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=false"):
        call_command("bench_data", "--scale", "small")
    out = io.StringIO()
    call_command("bench_data", "--scale", "small", "--allow-production", stdout=out)
    assert "Built /p/bench-small/" in out.getvalue()
    assert "1,000 client users" in out.getvalue()


def test_issue13_it_has_a_20_member_project_and_a_company_of_1000_on_no_project() -> None:
    built = bench_portal_build(scale_name="small")
    on_team = ProjectMember.objects.filter(
        project=built.team_project, membership__kind=MembershipKind.CLIENT
    )
    assert on_team.count() == 20
    bulk = Membership.objects.filter(
        portal=built.portal, client_company__name=BULK_COMPANY_NAME, kind=MembershipKind.CLIENT
    )
    assert bulk.count() == BULK_PEOPLE == 1_000
    assert not ProjectMember.objects.filter(membership__in=bulk).exists()
    profile = ClientProfile.objects.get(portal=built.portal, name=BULK_PROFILE_NAME)
    assert Membership.objects.filter(client_profile=profile).count() == BULK_PEOPLE
