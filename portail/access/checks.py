"""Start-up check of the permission catalogue (DESIGN.md: "validated at start-up")."""

from __future__ import annotations

from typing import Any

from django.core import checks

from portail.access.catalogue import CODES, DECLARED, MODULES, STAFF_ONLY_CODES, Action


@checks.register()
def validate_catalogue(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every declared constant is a catalogue code and every code has its constant."""
    errors: list[checks.CheckMessage] = []
    keys = [module.key for module in MODULES]
    if len(keys) != len(set(keys)):
        errors.append(checks.Error("A module key is declared twice.", id="access.E001"))
    for module in MODULES:
        if len(module.actions) != len(set(module.actions)) or not set(module.actions) <= set(
            Action
        ):
            errors.append(
                checks.Error(f"Module {module.key!r} has invalid actions.", id="access.E002")
            )
    for code in set(DECLARED) - CODES:
        errors.append(checks.Error(f"{code!r} is not in the catalogue.", id="access.E003"))
    for code in CODES - set(DECLARED):
        errors.append(
            checks.Error(f"{code!r} has no constant in catalogue.DECLARED.", id="access.E004")
        )
    for code in STAFF_ONLY_CODES - CODES:
        errors.append(
            checks.Error(f"Staff-only {code!r} is not in the catalogue.", id="access.E005")
        )
    return errors
