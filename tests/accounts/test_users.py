from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from pytest_django.fixtures import Settings

from portail import settings as portail_settings
from portail.accounts.models import User


@pytest.mark.django_db
def test_cu8_email_is_unique_case_insensitively_in_the_database() -> None:
    User(email="paul@bowman.test").save()
    # Bypass every Python-side normalisation: the database constraint must refuse it.
    with pytest.raises(IntegrityError), transaction.atomic():
        User(email="Paul@BOWMAN.test").save()
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_create_user_stores_the_address_trimmed_and_lower_cased() -> None:
    user = User.objects.create_user("  Ada@Example.TEST ", "x" * 12)
    assert user.email == "ada@example.test"


@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2(settings: Settings) -> None:
    settings.PASSWORD_HASHERS = portail_settings.PASSWORD_HASHERS  # undo the tests' fast hasher
    user = User.objects.create_user("ada@example.test", "a long password 1")
    assert user.password.startswith("argon2")
    assert user.check_password("a long password 1")


@pytest.mark.django_db
def test_natural_key_lookup_ignores_case() -> None:
    user = User.objects.create_user("ada@example.test", "a long password 1")
    assert User.objects.get_by_natural_key("ADA@example.test") == user
