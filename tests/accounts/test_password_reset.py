from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portail.accounts.models import PasswordResetToken
from portail.notifications.models import OutboundEmail
from tests.conftest import World
from tests.outbox import RESET_LINK, deliver_email, html_of

NEW = "a fresh passphrase 42"


def _link_in_outbox() -> str:
    """Send the reset email as the worker would; the link's path, from the sent message.

    The stored email has no link: it is made when sending (notifications/links.py).
    """
    emails = list(OutboundEmail.objects.filter(kind="password_reset"))
    assert len(emails) == 1
    email = emails[0]
    assert "/accounts/password/reset/" not in email.body_text + email.body_html
    message = deliver_email(email)
    match = RESET_LINK.search(str(message.body))
    assert match, message.body
    assert match.group(0) in html_of(message)
    return reverse("recovery:password-reset-confirm", args=[match["token"]])


def test_reset_request_writes_an_email_with_a_link_to_the_outbox(
    client: Client, world: World
) -> None:
    response = client.post(reverse("recovery:password-reset"), {"email": "Admin@ACME.test"})
    assert response.status_code == 200
    email = OutboundEmail.objects.get(kind="password_reset")
    assert email.to == "admin@acme.test"
    assert email.language == "en"
    assert _link_in_outbox()
    # Only the hash of the token is stored.
    token = PasswordResetToken.objects.get()
    assert token.token_hash not in email.body_text


def test_reset_request_answers_the_same_for_an_unknown_address(
    client: Client, world: World
) -> None:
    known = client.post(reverse("recovery:password-reset"), {"email": "admin@acme.test"})
    unknown = client.post(reverse("recovery:password-reset"), {"email": "nobody@acme.test"})
    assert known.status_code == unknown.status_code == 200

    def main(content: bytes, email: bytes) -> bytes:
        return content.split(b"<main", 1)[1].replace(email, b"X")

    assert main(known.content, b"admin@acme.test") == main(unknown.content, b"nobody@acme.test")
    assert OutboundEmail.objects.filter(to="nobody@acme.test").count() == 0


def test_reset_request_with_a_malformed_address_names_the_field(
    client: Client, world: World
) -> None:
    response = client.post(reverse("recovery:password-reset"), {"email": "not-an-email"})
    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert OutboundEmail.objects.count() == 0


def test_opening_the_link_changes_nothing_and_posting_it_sets_the_password(
    client: Client, world: World
) -> None:
    client.post(reverse("recovery:password-reset"), {"email": "admin@acme.test"})
    link = _link_in_outbox()
    for _ in range(2):  # mail scanners open links; that must not spend them
        assert client.get(link).status_code == 200
    assert PasswordResetToken.objects.get().used_at is None
    response = client.post(link, {"new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302
    world.admin.user.refresh_from_db()
    assert world.admin.user.check_password(NEW)
    # The link works once.
    again = client.post(link, {"new_password1": NEW + "x", "new_password2": NEW + "x"})
    assert again.status_code == 410
    world.admin.user.refresh_from_db()
    assert world.admin.user.check_password(NEW)


def test_an_expired_link_is_refused(client: Client, world: World) -> None:
    client.post(reverse("recovery:password-reset"), {"email": "admin@acme.test"})
    link = _link_in_outbox()
    PasswordResetToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get(link).status_code == 410
    assert client.post(link, {"new_password1": NEW, "new_password2": NEW}).status_code == 410


def test_an_unknown_link_is_refused(client: Client, world: World) -> None:
    response = client.get(reverse("recovery:password-reset-confirm", args=["nope"]))
    assert response.status_code == 410
    assert b"no longer works" in response.content


def test_a_new_request_supersedes_the_previous_link(client: Client, world: World) -> None:
    client.post(reverse("recovery:password-reset"), {"email": "admin@acme.test"})
    first = _link_in_outbox()
    OutboundEmail.objects.all().delete()
    PasswordResetToken.objects.update(created_at=timezone.now() - dt.timedelta(minutes=5))
    client.post(reverse("recovery:password-reset"), {"email": "admin@acme.test"})
    second = _link_in_outbox()
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200


def test_repeated_requests_within_a_minute_send_one_email(client: Client, world: World) -> None:
    for _ in range(3):
        client.post(reverse("recovery:password-reset"), {"email": "admin@acme.test"})
    assert OutboundEmail.objects.filter(kind="password_reset").count() == 1


def test_a_weak_new_password_is_refused_and_the_link_stays_usable(
    client: Client, world: World
) -> None:
    client.post(reverse("recovery:password-reset"), {"email": "admin@acme.test"})
    link = _link_in_outbox()
    response = client.post(link, {"new_password1": "123", "new_password2": "123"})
    assert response.status_code == 200
    assert response.context["form"].errors["new_password1"]
    assert PasswordResetToken.objects.get().used_at is None


def test_the_reset_email_is_in_the_persons_language(client: Client, world: World) -> None:
    user = world.admin.user
    user.language = "fr"
    user.save()
    client.post(reverse("recovery:password-reset"), {"email": "admin@acme.test"})
    assert OutboundEmail.objects.get(kind="password_reset").language == "fr"
