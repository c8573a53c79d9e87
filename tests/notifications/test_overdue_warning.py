"""The Outbox page warns its admins when queued emails are overdue (no worker seems to run)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from portail.notifications import selectors
from portail.notifications.models import EmailStatus
from tests.conftest import World
from tests.notifications.test_views import make_email, outbox_url

pytestmark = pytest.mark.django_db

WARNING = "no task worker seems to be running"


def minutes_ago(minutes: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=minutes)


def test_queued_emails_due_for_too_long_warn_the_admin_how_many_and_since_when(
    world: World,
) -> None:
    oldest = minutes_ago(45)
    make_email(world.portal, EmailStatus.QUEUED, attempts=0, next_attempt_at=oldest)
    make_email(world.portal, EmailStatus.QUEUED, attempts=0, next_attempt_at=minutes_ago(11))

    response = world.client_for(world.admin).get(outbox_url(world.portal))

    assert response.context["overdue"] == (2, oldest)
    content = response.content.decode()
    assert f"2 emails have been waiting since {timezone.localtime(oldest):%m/%d/%Y}" in content
    assert WARNING in content
    assert "Check that <code>run_worker</code> is running" in content


def test_a_freshly_queued_email_or_a_retry_not_yet_due_does_not_warn(world: World) -> None:
    make_email(world.portal, EmailStatus.QUEUED, attempts=0, next_attempt_at=minutes_ago(2))
    make_email(
        world.portal,
        EmailStatus.QUEUED,
        created_at=minutes_ago(60),
        next_attempt_at=timezone.now() + dt.timedelta(minutes=20),
    )
    make_email(world.portal, EmailStatus.SENT, next_attempt_at=minutes_ago(60))
    make_email(world.portal, EmailStatus.FAILED, next_attempt_at=minutes_ago(60))

    response = world.client_for(world.admin).get(outbox_url(world.portal))

    assert response.context["overdue"] == (0, None)
    assert WARNING not in response.content.decode()


def test_another_portals_overdue_emails_do_not_warn_this_portals_admins(world: World) -> None:
    make_email(world.other_portal, EmailStatus.QUEUED, next_attempt_at=minutes_ago(60))
    make_email(None, EmailStatus.QUEUED, next_attempt_at=minutes_ago(60))

    response = world.client_for(world.admin).get(outbox_url(world.portal))

    assert WARNING not in response.content.decode()
    assert selectors.overdue_summary(portal=world.other_portal).number == 1


def test_the_threshold_is_the_reapers_for_a_lost_task(world: World) -> None:
    now = timezone.now()
    make_email(world.portal, EmailStatus.QUEUED, next_attempt_at=now - selectors.overdue_after())

    assert selectors.overdue_summary(portal=world.portal, now=now).number == 0
    assert (
        selectors.overdue_summary(portal=world.portal, now=now + dt.timedelta(seconds=1)).number
        == 1
    )


def test_the_warning_is_in_french_for_a_french_admin(world: World) -> None:
    world.admin.user.language = "fr"
    world.admin.user.save(update_fields=["language"])
    make_email(world.portal, EmailStatus.QUEUED, next_attempt_at=minutes_ago(30))

    content = world.client_for(world.admin).get(outbox_url(world.portal)).content.decode()

    assert "1 e-mail attend depuis le" in content
    assert "aucun exécuteur de tâches ne semble tourner" in content
    assert "Vérifiez que <code>run_worker</code> tourne" in content
