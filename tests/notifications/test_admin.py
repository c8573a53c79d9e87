"""The Django admin's view of the outbox: read-only, with a retry action."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from zeal import zeal_ignore

from portail.accounts.models import User
from portail.notifications.models import EmailStatus, OutboundEmail
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(db: None) -> Client:
    client = Client()
    with zeal_ignore():  # signing in reads the session twice: not an N+1
        client.force_login(User.objects.create_superuser("root@example.test", PASSWORD))
    return client


def make_email(world: World, status: str) -> OutboundEmail:
    return OutboundEmail.objects.create(
        portal=world.portal,
        kind="invitation",
        to="someone@example.test",
        subject="Hello",
        body_text="Body",
        language="en",
        status=status,
        sent_at=timezone.now() if status == EmailStatus.SENT else None,
    )


def test_the_admin_lists_and_shows_emails_read_only(world: World, superuser_client: Client) -> None:
    emails = [make_email(world, EmailStatus.SENT) for _ in range(3)]
    changelist = reverse("admin:notifications_outboundemail_changelist")

    assert superuser_client.get(changelist).status_code == 200
    assert superuser_client.get(changelist, {"status__exact": "failed"}).status_code == 200
    change = superuser_client.get(
        reverse("admin:notifications_outboundemail_change", args=[emails[0].pk])
    )
    assert change.status_code == 200
    assert b'name="subject"' not in change.content  # no form fields: read-only
    assert superuser_client.get(reverse("admin:notifications_outboundemail_add")).status_code == 403


def test_the_admin_action_sends_failed_emails_again(world: World, superuser_client: Client) -> None:
    failed = make_email(world, EmailStatus.FAILED)
    sent = make_email(world, EmailStatus.SENT)

    response = superuser_client.post(
        reverse("admin:notifications_outboundemail_changelist"),
        {"action": "retry_failed", "_selected_action": [failed.pk, sent.pk]},
    )

    assert response.status_code == 302
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert failed.status == EmailStatus.QUEUED
    assert sent.status == EmailStatus.SENT
