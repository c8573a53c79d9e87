"""Sessions: a new key at sign-in, idle timeout and absolute lifetime, and a person's
sessions ended when their password changes, when they are deactivated and when they
leave their last portal. Through the pages, with two browsers where it matters."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings
from zeal import zeal_ignore

from portail.accounts.models import User, UserSession
from portail.accounts.sessions import SEEN_AT, SIGNED_IN_AT
from portail.portals.models import Membership
from tests.clients.test_invitation_views import invited, link, new_person, send
from tests.conftest import PASSWORD, World, make_member
from tests.outbox import RESET_LINK, deliver, link_in, path_of
from tests.test_settings import manage

NEW = "a fresh passphrase 42"


def signed_in(email: str, password: str = PASSWORD) -> Client:
    """A browser that signed in on the sign-in page."""
    browser = Client()
    response = browser.post(reverse("accounts:signin"), {"username": email, "password": password})
    assert response.status_code == 302, response.content
    return browser


def home_of(slug: str = "acme") -> str:
    return reverse("projects:list", kwargs={"portal_slug": slug})


def is_signed_in(browser: Client, page: str | None = None) -> bool:
    # Django reads a refused session, then reads it again to delete it: two Session.get()
    # from one place that django-zeal would take for an N+1.
    with zeal_ignore():
        response = browser.get(page or home_of())
    return response.status_code == 200


def age(browser: Client, **stamps: dt.timedelta) -> None:
    """Move the session's stamps into the past (SIGNED_IN_AT, SEEN_AT)."""
    session = browser.session
    for key, ago in stamps.items():
        session[key] = time.time() - ago.total_seconds()
    session.save()


def with_anonymous_session(browser: Client) -> str:
    session = browser.session
    session["probe"] = "before sign-in"
    session.save()
    assert session.session_key
    return session.session_key


# Sign-in rotates the session -----------------------------------------------------------------


def test_signin_gives_the_session_a_new_key_and_drops_the_old_one(world: World) -> None:
    browser = Client()
    before = with_anonymous_session(browser)
    browser.post(
        reverse("accounts:signin"), {"username": "employee@acme.test", "password": PASSWORD}
    )
    after = browser.session
    assert after[SESSION_KEY] == str(world.employee.user.pk)
    assert after.session_key != before
    assert not UserSession.objects.filter(session_key=before).exists()
    assert UserSession.objects.get(session_key=after.session_key).user_id == world.employee.user.pk


def test_accepting_an_invitation_as_someone_new_signs_in_under_a_new_key(world: World) -> None:
    raw = send(world, invited(world))
    browser = Client()
    before = with_anonymous_session(browser)
    response = browser.post(link(raw), new_person())
    assert response.status_code == 302
    after = browser.session
    assert after[SESSION_KEY] == str(User.objects.get(email="nina@bowman.test").pk)
    assert after.session_key != before
    assert not UserSession.objects.filter(session_key=before).exists()


def test_accepting_an_invitation_with_an_account_signs_in_under_a_new_key(world: World) -> None:
    raw = send(world, invited(world, "admin@other.test", new=False))
    browser = Client()
    before = with_anonymous_session(browser)
    response = browser.post(link(raw), {"password": PASSWORD})
    assert response.status_code == 302
    after = browser.session
    assert after[SESSION_KEY] == str(world.other_admin.user.pk)
    assert after.session_key != before


# Idle timeout and absolute lifetime ------------------------------------------------------


def test_a_session_unused_for_longer_than_the_idle_timeout_is_ended_and_says_why(
    world: World,
) -> None:
    browser = signed_in("employee@acme.test")
    age(browser, **{SEEN_AT: dt.timedelta(hours=12, minutes=1)})
    response = browser.get(home_of())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:signin") + "?next=")
    assert SESSION_KEY not in browser.session
    page = browser.get(response["Location"])
    assert "Your session expired, please sign in again." in [
        str(m) for m in get_messages(page.wsgi_request)
    ]
    assert "Your session expired, please sign in again." in page.content.decode()


def test_a_session_used_within_the_idle_timeout_goes_on(world: World) -> None:
    browser = signed_in("employee@acme.test")
    age(browser, **{SEEN_AT: dt.timedelta(hours=11, minutes=59)})
    assert is_signed_in(browser)
    # Using it moved "last seen" to now: another 11 hours later it still holds.
    assert time.time() - browser.session[SEEN_AT] < 60


def test_the_idle_timeout_is_a_setting(world: World, settings: Settings) -> None:
    settings.SESSION_IDLE_TIMEOUT = dt.timedelta(hours=1)
    browser = signed_in("employee@acme.test")
    age(browser, **{SEEN_AT: dt.timedelta(minutes=61)})
    assert not is_signed_in(browser)


def test_last_use_is_written_at_most_once_a_minute(world: World) -> None:
    browser = signed_in("employee@acme.test")
    assert is_signed_in(browser)  # the first visit of the portal remembers it
    age(browser, **{SEEN_AT: dt.timedelta(seconds=30)})
    stamped = browser.session[SEEN_AT]
    expiry = UserSession.objects.get(session_key=browser.session.session_key).expire_date
    assert is_signed_in(browser)
    assert browser.session[SEEN_AT] == stamped
    assert UserSession.objects.get(session_key=browser.session.session_key).expire_date == expiry


def test_an_htmx_request_after_the_idle_timeout_is_told_to_load_the_sign_in_page(
    world: World,
) -> None:
    browser = signed_in("employee@acme.test")
    age(browser, **{SEEN_AT: dt.timedelta(hours=13)})
    page = "http://testserver" + home_of()
    response = browser.get(
        reverse("projects:create", kwargs={"portal_slug": "acme"}),
        headers={"HX-Request": "true", "HX-Current-URL": page},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{reverse('accounts:signin')}?next={quote(home_of())}"
    assert not response.content
    assert SESSION_KEY not in browser.session


def test_a_session_past_its_absolute_lifetime_ends_however_active(world: World) -> None:
    browser = signed_in("employee@acme.test")
    age(browser, **{SIGNED_IN_AT: dt.timedelta(days=14, minutes=1)})
    assert is_signed_in(browser) is False
    page = browser.get(reverse("accounts:signin"))
    assert "Your session expired, please sign in again." in page.content.decode()


def test_a_session_within_its_absolute_lifetime_holds(world: World) -> None:
    browser = signed_in("employee@acme.test")
    age(browser, **{SIGNED_IN_AT: dt.timedelta(days=13, hours=23)})
    assert is_signed_in(browser)


# A person's sessions end ----------------------------------------------------------------


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(world: World) -> None:
    here, elsewhere = signed_in("employee@acme.test"), signed_in("employee@acme.test")
    assert is_signed_in(here)
    assert is_signed_in(elsewhere)
    response = here.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302
    assert is_signed_in(here)
    assert not is_signed_in(elsewhere)
    # The other session is gone from the store, not only refused.
    assert UserSession.objects.filter(user_id=world.employee.user.pk).count() == 1
    assert UserSession.objects.filter(session_key=elsewhere.cookies["sessionid"].value).count() == 0


def test_resetting_the_password_ends_every_session(world: World) -> None:
    first, second = signed_in("employee@acme.test"), signed_in("employee@acme.test")
    Client().post(reverse("recovery:password-reset"), {"email": "employee@acme.test"})
    (message,) = deliver()
    link = path_of(link_in(message, RESET_LINK))
    response = Client().post(link, {"new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302
    assert not is_signed_in(first)
    assert not is_signed_in(second)


def test_deactivating_a_person_in_the_django_admin_ends_their_sessions(world: World) -> None:
    first, second = signed_in("employee@acme.test"), signed_in("employee@acme.test")
    superuser = User.objects.create_superuser("root@example.test", PASSWORD)
    admin = Client()
    with zeal_ignore():  # as in World.client_for: signing in reads the session twice
        admin.force_login(superuser)
    user = world.employee.user
    response = admin.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        {
            "email": user.email,
            "full_name": user.full_name,
            "language": user.language,
            # is_active left out: unticked.
        },
    )
    assert response.status_code == 302, response.content
    assert UserSession.objects.filter(user_id=user.pk).count() == 0
    assert not is_signed_in(first)
    assert not is_signed_in(second)


def remove_client(world: World, membership: Membership) -> None:
    admin = world.client_for(world.admin)
    url = reverse(
        "clients:user-remove", kwargs={"portal_slug": "acme", "membership_id": membership.pk}
    )
    with zeal_ignore():
        assert admin.post(url, {}).status_code == 302


def test_removal_from_their_last_portal_ends_a_persons_sessions(world: World) -> None:
    first, second = signed_in("paul@bowman.test"), signed_in("paul@bowman.test")
    assert is_signed_in(first)
    remove_client(world, world.client)
    assert UserSession.objects.filter(user_id=world.client.user.pk).count() == 0
    assert not UserSession.objects.filter(session_key=first.cookies["sessionid"].value).exists()
    assert not is_signed_in(second, reverse("portal-picker"))


def test_removal_from_one_of_two_portals_keeps_a_persons_sessions(world: World) -> None:
    make_member(world.other_portal, "paul@bowman.test", "client")
    browser = signed_in("paul@bowman.test")
    assert is_signed_in(browser, reverse("portal-picker"))
    remove_client(world, world.client)
    assert is_signed_in(browser, reverse("portal-picker"))
    assert UserSession.objects.filter(user_id=world.client.user.pk).count() == 1


def test_deactivating_their_last_membership_in_the_django_admin_ends_a_persons_sessions(
    world: World,
) -> None:
    browser = signed_in("employee@acme.test")
    assert is_signed_in(browser)
    superuser = User.objects.create_superuser("root@example.test", PASSWORD)
    admin = Client()
    with zeal_ignore():  # as in World.client_for: signing in reads the session twice
        admin.force_login(superuser)
    membership = world.employee
    response = admin.post(
        reverse("admin:portals_membership_change", args=[membership.pk]),
        {
            "user": membership.user.pk,
            "portal": membership.portal.pk,
            "kind": membership.kind,
            "role": membership.role,
            "status": "deactivated",
        },
    )
    assert response.status_code == 302, response.content
    assert not is_signed_in(browser, reverse("portal-picker"))


@pytest.mark.parametrize(
    "variable",
    [
        "SESSION_IDLE_TIMEOUT_HOURS",
        "SESSION_ABSOLUTE_LIFETIME_DAYS",
        "AXES_FAILURE_LIMIT",
        "LOCKOUT_ADDRESS_FAILURE_LIMIT",
        "LOCKOUT_ACCOUNT_FAILURE_LIMIT",
    ],
)
def test_a_limit_below_one_stops_the_start(tmp_path: Path, variable: str) -> None:
    result = manage(tmp_path, "check", **{variable: "0"})
    assert result.returncode != 0
    assert "must be at least 1" in result.stderr
