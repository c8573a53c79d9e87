"""The French catalogue: complete, compiled, and used by pages and emails."""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from portail.accounts.models import User
from portail.notifications.services import email_render

LOCALE_DIR = Path(settings.BASE_DIR) / "portail" / "locale"
FR_PO = LOCALE_DIR / "fr" / "LC_MESSAGES" / "django.po"
FR_MO = FR_PO.with_suffix(".mo")

# printf-style placeholders: %(name)s, %s, %d, %.2f ... and the literal %%.
PRINTF_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")
# str.format fields: {name}, {0}, {name!r:>10}; {{ and }} are literal braces.
BRACE_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{[^{}]*\}")
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
NBSP = "\u00a0"
APOSTROPHE = "\u2019"  # RIGHT SINGLE QUOTATION MARK, the French apostrophe


def fr_entries() -> list[polib.POEntry]:
    return [entry for entry in polib.pofile(str(FR_PO)) if not entry.obsolete]


def entry_id(entry: polib.POEntry) -> str:
    return f"{entry.msgctxt}|{entry.msgid}" if entry.msgctxt else entry.msgid


def placeholders(entry: polib.POEntry, text: str) -> Counter[str]:
    """The placeholders Python fills in `text`; none unless xgettext flagged it a format."""
    if "python-format" in entry.flags:
        return Counter(PRINTF_PLACEHOLDER.findall(text))
    if "python-brace-format" in entry.flags:
        return Counter(BRACE_PLACEHOLDER.findall(text))
    return Counter()


def translations(entry: polib.POEntry) -> list[tuple[str, str]]:
    """(English, French) pairs: one for a plain entry, one per plural form otherwise."""
    if entry.msgid_plural:
        return [
            (entry.msgid if index == 0 else entry.msgid_plural, text)
            for index, text in sorted(entry.msgstr_plural.items())
        ]
    return [(entry.msgid, entry.msgstr)]


def test_the_french_catalogue_declares_french_and_its_plural_rule() -> None:
    po = polib.pofile(str(FR_PO))

    assert po.metadata["Language"] == "fr"
    assert po.metadata["Content-Type"] == "text/plain; charset=UTF-8"
    assert po.metadata["Plural-Forms"] == "nplurals=2; plural=(n > 1);"
    assert not po.metadata_is_fuzzy
    assert FR_MO.is_file(), "run `manage.py compilemessages -l fr` and commit django.mo"


def test_every_french_entry_is_translated_and_none_is_fuzzy() -> None:
    entries = fr_entries()

    assert entries
    assert [entry_id(e) for e in entries if "fuzzy" in e.flags] == []
    untranslated = [
        entry_id(e) for e in entries if not all(french for _english, french in translations(e))
    ]
    assert untranslated == []
    # French has two plural forms (n > 1 is plural): every plural entry fills both.
    assert [entry_id(e) for e in entries if e.msgid_plural and len(e.msgstr_plural) != 2] == []


def test_every_french_translation_keeps_the_placeholders_and_html_of_its_english() -> None:
    mismatched = [
        (english, french)
        for entry in fr_entries()
        for english, french in translations(entry)
        if placeholders(entry, english) != placeholders(entry, french)
        or Counter(HTML_TAG.findall(english)) != Counter(HTML_TAG.findall(french))
    ]

    assert mismatched == []


def compiled(entry: polib.POEntry, n: int = 1) -> str:
    """What Django's gettext returns for `entry` (its plural form for `n`) in the language."""
    if entry.msgid_plural:
        if entry.msgctxt:
            return translation.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
        return translation.ngettext(entry.msgid, entry.msgid_plural, n)
    if entry.msgctxt:
        return translation.pgettext(entry.msgctxt, entry.msgid)
    return translation.gettext(entry.msgid)


def test_the_compiled_french_catalogue_matches_the_po_file() -> None:
    stale = []
    with translation.override("fr"):
        for entry in fr_entries():
            # French plural rule: n > 1, so 1 picks msgstr[0] and 2 picks msgstr[1].
            expected = (
                [(1, entry.msgstr_plural[0]), (2, entry.msgstr_plural[1])]
                if entry.msgid_plural
                else [(1, entry.msgstr)]
            )
            stale += [
                (entry_id(entry), n, compiled(entry, n), french)
                for n, french in expected
                if compiled(entry, n) != french
            ]

    assert stale == [], "django.mo is stale: run `manage.py compilemessages -l fr`"


def test_every_french_translation_follows_french_typography() -> None:
    """A non-breaking space before ? ! : ; and inside « », and U+2019 as the apostrophe."""
    wrong = re.compile(r"[ \t][?!:;»]|«[ \t]|'")
    careless = [
        french
        for entry in fr_entries()
        for _english, french in translations(entry)
        if wrong.search(HTML_TAG.sub("", french))
    ]

    assert careless == []


# CI installs gettext (scripts/ensure-test-packages) and must run this test, not skip it.
@pytest.mark.skipif(
    shutil.which("xgettext") is None and not os.environ.get("CI"),
    reason="needs GNU gettext (apt-get install gettext)",
)
def test_every_string_marked_for_translation_is_in_the_french_catalogue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # makemessages writes into every `locale` dir it walks past, so extract from a copy
    # of the sources without one, leaving the real catalogue alone.
    sources = tmp_path / "src"
    shutil.copytree(
        Path(settings.BASE_DIR) / "portail",
        sources / "portail",
        ignore=shutil.ignore_patterns("locale", "__pycache__", "static"),
    )
    fresh_locale = sources / "locale"
    fresh_locale.mkdir()
    monkeypatch.chdir(sources)
    monkeypatch.setattr(settings, "LOCALE_PATHS", [fresh_locale])
    call_command("makemessages", locale=["fr"], verbosity=0)
    monkeypatch.undo()
    fresh = polib.pofile(str(fresh_locale / "fr" / "LC_MESSAGES" / "django.po"))

    in_code = {entry_id(e) for e in fresh if not e.obsolete}
    in_catalogue = {entry_id(e) for e in fr_entries()}

    assert sorted(in_code - in_catalogue) == [], (
        "run `manage.py makemessages -l fr --ignore=.venv --ignore=tests --ignore=var`, "
        "translate the new entries, then `manage.py compilemessages -l fr`"
    )


@pytest.mark.django_db
def test_the_sign_in_page_is_in_french_for_a_browser_that_asks_for_french(client: Client) -> None:
    page = client.get(reverse("accounts:signin"), HTTP_ACCEPT_LANGUAGE="fr")

    assert page.status_code == 200
    assert page.headers["Content-Language"] == "fr"
    html = page.content.decode()
    assert '<html lang="fr"' in html
    assert "Se connecter" in html
    assert f"Mot de passe oublié{NBSP}?" in html
    assert "Sign in" not in html


def test_the_password_reset_email_has_a_french_subject_and_body_in_french() -> None:
    user = User(email="paul@bowman.test", full_name="Paul Bowman")
    context = {"user": user, "reset_url": "https://portail.example/r/tok3n/", "expires_hours": 2}

    english = email_render(template="password_reset", context=context, language="en")
    french = email_render(template="password_reset", context=context, language="fr")

    assert french.subject == "Réinitialisation de votre mot de passe Portail"
    assert french.subject != english.subject
    assert french.text.startswith("Bonjour Paul Bowman,\n\n")
    assert f"Le lien expire dans 2 heures et ne fonctionne qu{APOSTROPHE}une seule fois." in (
        french.text
    )
    assert "Envoyé par Portail." in french.text
    assert '<html lang="fr">' in french.html
    assert "Choisir un nouveau mot de passe" in french.html
