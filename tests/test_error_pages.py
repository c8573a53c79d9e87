"""Error pages (issue 10): each says what happened and where to go next, in the site's
layout and the reader's language, and none tells whether another portal's object exists.

This module is also the URLconf of the tests that need a view that fails on purpose
(`settings.ROOT_URLCONF = __name__`); it keeps the product's URLs and error handlers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.exceptions import BadRequest
from django.db import OperationalError, connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.test import Client, RequestFactory
from django.urls import path, reverse
from django.utils import translation
from pytest_django.fixtures import Settings
from zeal import zeal_ignore

from portail import errors
from portail.portals.models import Portal
from portail.urls import (  # noqa: F401  (the handlers of this test URLconf)
    handler400,
    handler403,
    handler404,
    handler500,
)
from portail.urls import urlpatterns as product_urlpatterns
from tests.conftest import PASSWORD, World


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a view")


def _reads_the_database(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(Portal.objects.count()))


def _bad(request: HttpRequest) -> HttpResponse:
    raise BadRequest("malformed")


urlpatterns = [
    path("test-errors/boom/", _boom),
    path("test-errors/database/", _reads_the_database),
    path("test-errors/bad/", _bad),
    path("test-errors/gone/", errors.gone),
    *product_urlpatterns,
]

NAV = 'class="mainnav"'
LAYOUT = 'class="topbar"'


@pytest.fixture(autouse=True)
def _production(settings: Settings) -> None:
    """Error pages as production shows them: DEBUG off (no technical pages)."""
    settings.DEBUG = False


@pytest.fixture
def failing_urls(settings: Settings) -> None:
    settings.ROOT_URLCONF = __name__


def _french(world: World) -> Client:
    """The employee, who chose French in their preferences."""
    user = world.employee.user
    user.language = "fr"
    user.save(update_fields=["language"])
    return world.client_for(world.employee)


def _html(response: HttpResponse) -> str:
    return response.content.decode()


# --- 404 -------------------------------------------------------------------------------


def test_404_is_in_the_layout_and_offers_the_way_back_in_english(world: World) -> None:
    response = world.client_for(world.employee).get(
        reverse("projects:detail", args=["acme", 999_999])
    )

    assert response.status_code == 404
    html = _html(response)
    assert LAYOUT in html
    assert NAV in html
    assert "<h1>Page not found</h1>" in html
    assert '<html lang="en"' in html
    assert f'href="{reverse("portals:dashboard", args=["acme"])}"' in html
    assert "Back to Acme Studio" in html


def test_404_is_in_french_for_a_person_who_chose_french(world: World) -> None:
    response = _french(world).get(reverse("projects:detail", args=["acme", 999_999]))

    assert response.status_code == 404
    html = _html(response)
    assert '<html lang="fr"' in html
    assert NAV in html
    assert "<h1>Page introuvable</h1>" in html
    assert "Revenir à Acme Studio" in html


def test_404_is_in_french_for_a_browser_that_asks_for_french(client: Client, db: None) -> None:
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 404
    html = _html(response)
    assert "<h1>Page introuvable</h1>" in html
    # Nobody is signed in: the way on is to sign in.
    assert f'href="{reverse("accounts:signin")}"' in html
    assert "Se connecter" in html


def _without_token(html: str) -> str:
    """The page without its CSRF tokens (masked afresh on every answer)."""
    html = re.sub(r'"X-CSRFToken": "[^"]*"', "", html)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def test_404_of_another_portals_project_is_the_404_of_a_project_that_does_not_exist(
    world: World,
) -> None:
    c = world.client_for(world.employee)
    missing_id = world.other_project.pk + 1000
    theirs = c.get(reverse("projects:detail", args=["acme", world.other_project.pk]))
    nothing = c.get(reverse("projects:detail", args=["acme", missing_id]))
    their_portal = c.get(reverse("projects:detail", args=["other", world.other_project.pk]))
    no_portal = c.get(reverse("projects:detail", args=["no-such-portal", missing_id]))

    assert {r.status_code for r in (theirs, nothing, their_portal, no_portal)} == {404}
    assert _without_token(_html(theirs)) == _without_token(_html(nothing))
    assert _without_token(_html(their_portal)) == _without_token(_html(no_portal))
    for response in (theirs, their_portal):
        assert "Other" not in _html(response)


# --- 403 -------------------------------------------------------------------------------


def test_403_says_what_is_refused_and_where_to_go_in_the_layout(world: World) -> None:
    response = world.client_for(world.employee).get(reverse("audit:events", args=["acme"]))

    assert response.status_code == 403
    html = _html(response)
    assert LAYOUT in html
    assert NAV in html
    assert "<h1>You cannot do this here</h1>" in html
    assert "ask an administrator of the portal" in html
    assert f'href="{reverse("portals:dashboard", args=["acme"])}"' in html
    assert "DEBUG" not in html


def test_403_is_in_french_for_a_person_who_chose_french(world: World) -> None:
    response = _french(world).get(reverse("audit:events", args=["acme"]))

    assert response.status_code == 403
    html = _html(response)
    assert '<html lang="fr"' in html
    assert NAV in html
    assert "<h1>Vous ne pouvez pas faire cela ici</h1>" in html


def test_403_is_in_french_for_a_browser_that_asks_for_french(world: World) -> None:
    response = world.client_for(world.client).get(
        reverse("projects:create", args=["acme"]), HTTP_ACCEPT_LANGUAGE="fr"
    )
    # The client persona's account language is English: the account's choice wins.
    assert response.status_code == 403
    assert "<h1>You cannot do this here</h1>" in _html(response)

    user = world.client.user
    user.language = "fr"
    user.save(update_fields=["language"])
    response = world.client_for(world.client).get(reverse("projects:create", args=["acme"]))
    assert "<h1>Vous ne pouvez pas faire cela ici</h1>" in _html(response)


# --- CSRF failure (a 403 of its own) ---------------------------------------------------


def test_a_refused_form_explains_cookies_and_reloading_never_debug(world: World) -> None:
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(
        reverse("accounts:signin"),
        {"username": "employee@acme.test", "password": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="fr",
    )

    assert response.status_code == 403
    html = _html(response)
    assert LAYOUT in html
    assert '<html lang="fr"' in html
    assert "<h1>Ce formulaire n’a pas pu être accepté</h1>" in html
    assert "cookies" in html
    assert "rechargez la page" in html
    assert "DEBUG" not in html
    assert f'href="{reverse("accounts:signin")}"' in html


def test_a_refused_form_in_english_says_to_reload_and_try_again(world: World) -> None:
    browser = Client(enforce_csrf_checks=True)
    with zeal_ignore():  # signing in reads the session twice; that is not an N+1
        browser.force_login(world.employee.user)
    response = browser.post(reverse("accounts:signout"))

    assert response.status_code == 403
    html = _html(response)
    assert "<h1>This form could not be accepted</h1>" in html
    assert "reload the page and try again" in html
    assert "DEBUG" not in html


# --- 400 -------------------------------------------------------------------------------


def test_400_is_in_the_layout_and_in_french(world: World, failing_urls: None) -> None:
    english = world.client_for(world.employee).get("/test-errors/bad/")
    french = _french(world).get("/test-errors/bad/")

    assert english.status_code == french.status_code == 400
    assert "<h1>This request could not be understood</h1>" in _html(english)
    assert NAV in _html(english)
    assert "<h1>Cette requête n’a pas pu être comprise</h1>" in _html(french)
    assert f'href="{reverse("home")}"' in _html(french)


def test_a_request_for_an_unknown_host_gets_the_400_page(client: Client, db: None) -> None:
    response = client.get("/", HTTP_HOST="attacker.example", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 400
    assert "<h1>Cette requête n’a pas pu être comprise</h1>" in _html(response)


# --- 405 -------------------------------------------------------------------------------


def test_405_page_is_in_the_layout_and_keeps_the_allow_header(world: World) -> None:
    response = world.client_for(world.admin).get(
        reverse("projects:archive", args=["acme", world.project.pk])
    )

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    html = _html(response)
    assert LAYOUT in html
    assert NAV in html
    assert "<h1>This cannot be done this way</h1>" in html
    assert f'href="{reverse("portals:dashboard", args=["acme"])}"' in html


def test_405_page_is_in_french(world: World) -> None:
    response = _french(world).get(reverse("accounts:signout"))

    assert response.status_code == 405
    assert "POST" in response["Allow"]
    assert "<h1>Cela ne peut pas se faire de cette façon</h1>" in _html(response)


def test_405_page_is_in_french_for_a_browser_that_asks_for_french(client: Client, db: None) -> None:
    response = client.delete(reverse("accounts:signin"), HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 405
    assert "GET" in response["Allow"]
    assert "<h1>Cela ne peut pas se faire de cette façon</h1>" in _html(response)


def test_a_405_that_has_its_own_body_is_left_alone() -> None:
    def view(request: HttpRequest) -> HttpResponse:
        response = HttpResponse('{"detail": "no"}', status=405, content_type="application/json")
        response["Allow"] = "GET"
        return response

    response = errors.ErrorPageMiddleware(view)(RequestFactory().post("/api/"))

    assert response.content == b'{"detail": "no"}'
    assert response["Allow"] == "GET"


# --- 410 -------------------------------------------------------------------------------


def test_410_says_it_is_gone_for_good_in_english_and_french(
    world: World, failing_urls: None
) -> None:
    english = world.client_for(world.admin).get("/test-errors/gone/")
    french = Client().get("/test-errors/gone/", HTTP_ACCEPT_LANGUAGE="fr")

    assert english.status_code == french.status_code == 410
    assert "<h1>This is no longer available</h1>" in _html(english)
    assert NAV in _html(english)
    assert "Go to your portals" in _html(english)
    assert "<h1>Ceci n’est plus disponible</h1>" in _html(french)
    assert "Se connecter" in _html(french)


# --- 429 -------------------------------------------------------------------------------


def _locked_out(client: Client, settings: Settings, **extra: Any) -> HttpResponse:
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        client.post(
            reverse("accounts:signin"),
            {"username": "employee@acme.test", "password": "wrong"},
            **extra,
        )
    return client.post(
        reverse("accounts:signin"),
        {"username": "employee@acme.test", "password": PASSWORD},
        **extra,
    )


def test_the_sign_in_lock_out_is_a_429_page_in_the_layout(
    client: Client, world: World, settings: Settings
) -> None:
    response = _locked_out(client, settings)

    assert response.status_code == 429
    html = _html(response)
    assert LAYOUT in html
    assert "<h1>Too many attempts</h1>" in html
    assert f'href="{reverse("recovery:password-reset")}"' in html


def test_the_sign_in_lock_out_page_is_in_french(
    client: Client, world: World, settings: Settings
) -> None:
    response = _locked_out(client, settings, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 429
    html = _html(response)
    assert '<html lang="fr"' in html
    assert "<h1>Trop de tentatives</h1>" in html
    assert "Réinitialiser mon mot de passe" in html


def test_the_generic_429_page_renders_in_english_and_french(world: World) -> None:
    request = RequestFactory().get("/")
    request.user = world.admin.user
    with translation.override("en"):
        english = render(request, "429.html", status=429)
    with translation.override("fr"):
        french = render(request, "429.html", status=429)

    assert "Wait a few minutes, then try again." in _html(english)
    assert LAYOUT in _html(english)
    assert "Attendez quelques minutes, puis réessayez." in _html(french)
    assert f'href="{reverse("home")}"' in _html(french)


# --- 500 -------------------------------------------------------------------------------


def test_500_is_a_page_with_a_way_home_in_english(client: Client, failing_urls: None) -> None:
    client.raise_request_exception = False
    response = client.get("/test-errors/boom/")

    assert response.status_code == 500
    html = _html(response)
    assert LAYOUT in html
    assert "<h1>Something went wrong on our side</h1>" in html
    assert f'href="{reverse("home")}"' in html
    assert "a bug in a view" not in html
    assert "RuntimeError" not in html


def test_500_is_in_french_for_a_person_who_chose_french(world: World, failing_urls: None) -> None:
    c = _french(world)
    c.raise_request_exception = False
    response = c.get("/test-errors/boom/")

    assert response.status_code == 500
    html = _html(response)
    assert '<html lang="fr"' in html
    assert "<h1>Un problème est survenu de notre côté</h1>" in html


@pytest.fixture
def broken_database() -> Iterator[None]:
    """Every query fails, as when the database server is down."""

    def refuse(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        raise OperationalError("connection refused")

    with connection.execute_wrapper(refuse):
        yield


def test_500_renders_in_french_when_the_database_is_down(
    client: Client, db: None, failing_urls: None, broken_database: None
) -> None:
    client.raise_request_exception = False
    response = client.get("/test-errors/database/", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 500
    assert "<h1>Un problème est survenu de notre côté</h1>" in _html(response)


def test_500_renders_for_a_signed_in_person_when_the_database_is_down(
    world: World, failing_urls: None
) -> None:
    c = world.client_for(world.employee)  # reading the session will fail, too
    c.raise_request_exception = False

    def refuse(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        raise OperationalError("connection refused")

    with connection.execute_wrapper(refuse):
        response = c.get("/test-errors/database/")

    assert response.status_code == 500
    assert "<h1>Something went wrong on our side</h1>" in _html(response)


def test_the_500_handler_needs_neither_a_request_context_nor_the_database(
    broken_database: None,
) -> None:
    request = RequestFactory().get("/")
    request.LANGUAGE_CODE = "fr"  # type: ignore[attr-defined]

    response = errors.server_error(request)

    assert response.status_code == 500
    assert "<h1>Un problème est survenu de notre côté</h1>" in _html(response)
    assert '<html lang="fr"' in _html(response)


def test_the_500_handler_falls_back_to_the_sites_language(settings: Settings) -> None:
    settings.LANGUAGE_CODE = "fr"
    request = RequestFactory().get("/")
    request.LANGUAGE_CODE = "xx"  # type: ignore[attr-defined]  # not one of ours

    response = errors.server_error(request)

    assert "<h1>Un problème est survenu de notre côté</h1>" in _html(response)


def test_the_500_handler_answers_plain_text_if_its_template_cannot_render(
    settings: Settings,
) -> None:
    settings.TEMPLATES = [
        {"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": []}
    ]

    response = errors.server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    assert "Something went wrong on our side" in _html(response)


def test_the_500_page_renders_unstyled_if_the_stylesheet_cannot_be_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing(path: str) -> str:
        raise ValueError(f"Missing staticfiles manifest entry for '{path}'")

    monkeypatch.setattr(errors, "static", missing)
    request = RequestFactory().get("/")
    request.LANGUAGE_CODE = "en"  # type: ignore[attr-defined]

    html = _html(errors.server_error(request))

    assert "<h1>Something went wrong on our side</h1>" in html
    assert "stylesheet" not in html
