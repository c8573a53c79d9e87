"""Start-up check of the permission registry (DESIGN.md: "validated at start-up")."""

from __future__ import annotations

from typing import Any

from django.core import checks

from portail.registry import registry


@checks.register()
def validate_catalogue(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """What every app declared in its permissions.py holds together (registry.problems)."""
    return [checks.Error(problem, id="access.E001") for problem in registry.problems()]
