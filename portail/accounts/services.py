"""Changes to people: passwords, preferences. (Password resets by email: portail/recovery.)"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from portail.accounts.models import Language, User


@transaction.atomic
def user_update_preferences(*, user: User, full_name: str, language: str) -> User:
    if language not in Language.values:
        raise ValidationError({"language": _("Choose English or French.")})
    user.full_name = full_name.strip()
    user.language = language
    user.full_clean(exclude=["password"])
    user.save(update_fields=["full_name", "language"])
    return user
