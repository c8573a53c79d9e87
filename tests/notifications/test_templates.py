"""The emails' templates, in English and in French."""

from __future__ import annotations

import pytest

from portail.accounts.models import User
from portail.notifications.services import email_render
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

RESET_URL = "https://portail.example/accounts/password/reset/tok3n/?a=1&b=2"


def render_reset(user: User, language: str) -> tuple[str, str, str]:
    rendered = email_render(
        template="password_reset",
        context={"user": user, "reset_url": RESET_URL, "expires_hours": 2},
        language=language,
    )
    return rendered.subject, rendered.text, rendered.html


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_password_reset_email_has_the_name_the_link_and_the_rules(language: str) -> None:
    user = make_user("paul@bowman.test", "Paul O'Neil & Sons", language=language)

    subject, text, html = render_reset(user, language)

    assert subject
    assert "\n" not in subject
    # The text part is plain text: nothing escaped.
    assert "Paul O'Neil & Sons" in text
    assert RESET_URL in text
    assert "2" in text
    # The HTML part escapes what it shows, and says which language it is in.
    assert "Paul O&#x27;Neil &amp; Sons" in html
    assert 'href="https://portail.example/accounts/password/reset/tok3n/?a=1&amp;b=2"' in html
    assert f'<html lang="{language}">' in html
    assert f"<title>{subject}</title>" in html


def test_the_english_password_reset_email_reads_well() -> None:
    user = make_user("paul@bowman.test", "Paul Bowman")

    subject, text, _html = render_reset(user, "en")

    assert subject == "Reset your Portail password"
    assert text.startswith("Hello Paul Bowman,\n\n")
    assert "The link expires in 2 hours and works only once." in text
    assert "If you did not ask for this, ignore this email" in text
    assert "\n\n\n" not in text
    assert text.endswith("\n")


def test_a_person_without_a_name_is_greeted_by_their_address() -> None:
    user = make_user("paul@bowman.test")

    _subject, text, _html = render_reset(user, "en")

    assert text.startswith("Hello paul@bowman.test,")
