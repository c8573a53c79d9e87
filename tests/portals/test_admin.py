"""The Django admin (superusers only) lists, searches and edits portals and memberships."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from zeal import zeal_ignore

from portail.accounts.models import User
from tests.conftest import World


@pytest.fixture
def superuser_client(db: None) -> Client:
    client = Client()
    with zeal_ignore():  # signing in reads the session twice; that is not an N+1
        client.force_login(User.objects.create_superuser("root@portail.test", "x" * 12))
    return client


@pytest.mark.parametrize(
    ("name", "obj", "query"),
    [
        ("portal_changelist", None, ""),
        ("portal_changelist", None, "?q=acme"),
        ("portal_add", None, ""),
        ("portal_change", "portal", ""),
        ("membership_changelist", None, ""),
        ("membership_changelist", None, "?q=emma"),
        ("membership_add", None, ""),
        ("membership_change", "employee", ""),
    ],
)
def test_superusers_see_the_admin_pages(
    world: World, superuser_client: Client, name: str, obj: str | None, query: str
) -> None:
    args = [getattr(world, obj).pk] if obj else []
    url = reverse(f"admin:portals_{name}", args=args) + query

    assert superuser_client.get(url).status_code == 200


def test_a_portal_page_lists_its_people(world: World, superuser_client: Client) -> None:
    url = reverse("admin:portals_portal_change", args=[world.portal.pk])

    response = superuser_client.get(url)

    assert response.status_code == 200
    assert "Emma Employee" in response.text


def test_portal_staff_without_the_superuser_flag_are_kept_out(world: World) -> None:
    response = world.client_for(world.admin).get(reverse("admin:portals_portal_changelist"))

    assert response.status_code == 302
