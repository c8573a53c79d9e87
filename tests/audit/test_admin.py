"""The Django admin shows audit events to superusers and lets nobody change them."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from zeal import zeal_ignore

from portail.accounts.models import User
from portail.audit.models import AuditEvent
from tests.audit.conftest import make_event
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(world: World) -> Client:
    superuser = User.objects.create_superuser("root@example.test", "a long password 9")
    client = Client()
    with zeal_ignore():
        client.force_login(superuser)
    return client


def test_a_superuser_can_read_the_events(world: World, superuser_client: Client) -> None:
    event = make_event(world.portal, world.admin, target_label="Bowman Furniture's")

    listing = superuser_client.get(reverse("admin:audit_auditevent_changelist"))
    detail = superuser_client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))

    assert listing.status_code == 200
    assert "Bowman Furniture" in listing.content.decode()
    assert detail.status_code == 200


def test_nobody_can_add_change_or_delete_an_event_in_the_admin(
    world: World, superuser_client: Client
) -> None:
    event = make_event(world.portal, world.admin, action="client_company.created")
    model_admin = admin.site._registry[AuditEvent]

    request = superuser_client.get(reverse("admin:index")).wsgi_request
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert model_admin.has_view_permission(request, event)

    posted = superuser_client.post(
        reverse("admin:audit_auditevent_change", args=[event.pk]), {"action": "forged.key"}
    )
    deleted = superuser_client.post(
        reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}
    )

    assert (posted.status_code, deleted.status_code) == (403, 403)
    event.refresh_from_db()
    assert event.action == "client_company.created"
