"""The pages keep within the Content-Security-Policy (settings.py, OWASP ASVS 5.0 V3).

The policy allows scripts and styles from our own files only: an inline style (a
style="…" attribute or a <style> element), an inline <script>, an on…= handler or a
javascript: link would be blocked by the browser, and htmx's hx-on / hx-vars / js: need
eval, which htmx is told not to use. Emails are not pages (no CSP there): left out.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE_TEMPLATES = sorted(
    path
    for path in (ROOT / "portail").glob("**/templates/**/*.html")
    if "emails" not in path.relative_to(ROOT / "portail").parts
)

DJANGO_COMMENT = re.compile(r"\{#.*?#\}|\{%\s*comment\b.*?%\}.*?\{%\s*endcomment\s*%\}", re.S)
TAG = re.compile(r"<[a-zA-Z][^>]*>")
INLINE_SCRIPT = re.compile(r"<script\b[^>]*>(?P<body>.*?)</script\s*>", re.S | re.I)
# Inside a tag: what the policy (or htmx without eval) refuses.
ATTRIBUTE_RULES = {
    "an inline style= attribute": re.compile(r"\sstyle\s*=", re.I),
    "an on…= event handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "a javascript: URL": re.compile(r"javascript\s*:", re.I),
    "htmx's hx-on (needs eval)": re.compile(r"\s(data-)?hx-on\b", re.I),
    "htmx's hx-vars (needs eval)": re.compile(r"\s(data-)?hx-vars\s*=", re.I),
    "htmx's js: values (need eval)": re.compile(r"\s(data-)?hx-vals\s*=\s*[\"']\s*js:", re.I),
}


def csp_breaches(source: str) -> list[str]:
    """What in this template source the Content-Security-Policy would block, with lines."""
    text = DJANGO_COMMENT.sub(lambda m: "\n" * m.group().count("\n"), source)

    def line(offset: int) -> int:
        return text.count("\n", 0, offset) + 1

    found = [
        f"line {line(m.start())}: an inline <script> (move it to a file under static/portail/)"
        for m in INLINE_SCRIPT.finditer(text)
        if m.group("body").strip()
    ]
    found += [
        f"line {line(m.start())}: a <style> element (use portail.css)"
        for m in re.finditer(r"<style\b", text, re.I)
    ]
    for tag in TAG.finditer(text):
        for what, rule in ATTRIBUTE_RULES.items():
            if rule.search(tag.group()):
                found.append(f"line {line(tag.start())}: {what}: {tag.group()[:80]}")
    return found


def test_v3_the_page_templates_are_found() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in PAGE_TEMPLATES}
    assert "portail/templates/base.html" in names
    assert "portail/templates/projects/_progress.html" in names
    assert not any("/emails/" in name for name in names)


def test_v3_no_page_template_has_inline_script_style_or_handler() -> None:
    breaches = [
        f"{path.relative_to(ROOT)} {breach}"
        for path in PAGE_TEMPLATES
        for breach in csp_breaches(path.read_text())
    ]
    assert breaches == [], "\n".join(breaches)


@pytest.mark.parametrize(
    "source",
    [
        '<div style="width: 50%"></div>',
        "<span class='bar' STYLE='color: red'>",
        "<style>.x { color: red }</style>",
        "<script>document.title = 'x'</script>",
        '<script type="module">\n  import "./x.js";\n</script>',
        '<button onclick="go()">Go</button>',
        '<body\n  onload="start()">',
        '<a href="javascript:void(0)">x</a>',
        '<button hx-on:click="go()">Go</button>',
        '<div hx-on::after-request="x()"></div>',
        '<div hx-vars="count: 1"></div>',
        "<div hx-vals='js:{a: 1}'></div>",
    ],
)
def test_v3_the_check_catches_what_the_policy_blocks(source: str) -> None:
    assert csp_breaches(source)


@pytest.mark.parametrize(
    "source",
    [
        "<script src=\"{% static 'portail/htmx.min.js' %}\" defer></script>",
        '<progress class="progress" max="100" value="40"></progress>',
        '{# style="width: 10%" is forbidden: see the CSP #}<p>ok</p>',
        '{% comment %}<script>old()</script>{% endcomment %}<p class="on">Done</p>',
        "<p>Turned on = yes; the style=… attribute is explained in text</p>",
        '<form hx-post="/x" hx-vals=\'{"a": 1}\'></form>',
    ],
)
def test_v3_the_check_lets_allowed_markup_through(source: str) -> None:
    assert csp_breaches(source) == []
