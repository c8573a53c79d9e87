"""The permission catalogue as access reads it: every module that apps declared into the
registry (portail/registry.py), with their codes, levels and the built-in profile's set.

Read at call time, never copied at import, so a module registered later (a test's
dummy module) is in the grid, the gate and the matrix like the others.
"""

from __future__ import annotations

from portail.registry import (
    ACTION_LABELS,
    LEVEL_LABELS,
    Action,
    Level,
    Module,
    UnknownPermission,
    registry,
)

__all__ = [
    "ACTION_LABELS",
    "LEVEL_LABELS",
    "Action",
    "Level",
    "Module",
    "UnknownPermission",
    "builtin_client_permissions",
    "client_actions",
    "client_codes",
    "codes",
    "is_levelled",
    "levels_for",
    "modules",
    "split",
    "staff_only_codes",
    "validate_code",
]


def modules() -> tuple[Module, ...]:
    return registry.all_modules()


def codes() -> frozenset[str]:
    return registry.codes()


def staff_only_codes() -> frozenset[str]:
    """Codes only staff hold: no client profile or customisation grants them, and the
    permission grid does not offer them, so no box in it does nothing."""
    return registry.staff_only_codes()


def client_codes() -> frozenset[str]:
    return registry.client_codes()


def client_actions(module: Module) -> tuple[Action, ...]:
    """The module's actions a client user may be given (the grid's boxes)."""
    return module.client_actions()


def validate_code(code: str) -> str:
    return registry.validate_code(code)


def split(code: str) -> tuple[str, Action]:
    module, ability = registry.split(code)
    return module.key, ability.action


def is_levelled(code: str) -> bool:
    """Does the code take a level (none / own / all) rather than on or off?"""
    return registry.is_levelled(code)


def levels_for(code: str) -> tuple[Level, ...]:
    """The levels a code takes, as its module declares them."""
    return registry.levels_for(code)


def builtin_client_permissions() -> dict[str, str]:
    """The built-in "Client" profile's set (DESIGN.md), from what each module declares."""
    return registry.builtin_client_permissions()
