"""The permission catalogue: one registry of modules x actions, declared once.

A module enters the catalogue together with its pages, never before
(DESIGN.md). Codes are written `"<module>.<action>"`, e.g. `"tasks.edit"`;
use the constants below rather than typing strings, and `validate_code` fails
loudly on a typo. `access.checks.validate_catalogue` runs at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Action(StrEnum):
    VIEW = "view"
    ADD = "add"
    EDIT = "edit"
    DELETE = "delete"


class Level(StrEnum):
    """view/edit/delete take a level; add is on (ALL) or off (NONE)."""

    NONE = "none"
    OWN = "own"
    ALL = "all"


LEVELLED_ACTIONS = frozenset({Action.VIEW, Action.EDIT, Action.DELETE})

ACTION_LABELS: dict[Action, Promise] = {
    Action.VIEW: _("View"),
    Action.ADD: _("Add"),
    Action.EDIT: _("Edit"),
    Action.DELETE: _("Delete"),
}

LEVEL_LABELS: dict[Level, Promise] = {
    Level.NONE: _("None"),
    Level.OWN: _("Own"),
    Level.ALL: _("All"),
}


@dataclass(frozen=True)
class Module:
    key: str
    label: Promise
    actions: tuple[Action, ...]


MODULES: tuple[Module, ...] = (
    Module("project", _("Project overview and progress"), (Action.VIEW, Action.EDIT)),
    Module(
        "milestones",
        _("Milestones"),
        (Action.VIEW, Action.ADD, Action.EDIT, Action.DELETE),
    ),
    Module("tasks", _("Tasks"), (Action.VIEW, Action.ADD, Action.EDIT, Action.DELETE)),
    # The project's people: a client sees their own company's people and the staff
    # of the project, never other companies' (CX3). Staff manage who is on a project,
    # so clients only ever view this module.
    Module("users", _("Project users"), (Action.VIEW,)),
)
MODULES_BY_KEY = {m.key: m for m in MODULES}

CODES: frozenset[str] = frozenset(f"{m.key}.{a}" for m in MODULES for a in m.actions)

# Constants for the codes; views declare these, never a hand-typed string.
PROJECT_VIEW = "project.view"
PROJECT_EDIT = "project.edit"
MILESTONES_VIEW = "milestones.view"
MILESTONES_ADD = "milestones.add"
MILESTONES_EDIT = "milestones.edit"
MILESTONES_DELETE = "milestones.delete"
TASKS_VIEW = "tasks.view"
TASKS_ADD = "tasks.add"
TASKS_EDIT = "tasks.edit"
TASKS_DELETE = "tasks.delete"
USERS_VIEW = "users.view"

# Codes only staff hold: managing the project itself (its settings, its staff, its client
# companies and their people's permissions). A client profile or customisation never
# grants them, and the permission grid does not offer them, so no box in it does nothing.
STAFF_ONLY_CODES: frozenset[str] = frozenset({PROJECT_EDIT})
CLIENT_CODES: frozenset[str] = CODES - STAFF_ONLY_CODES

# Codes that are on or off although their action takes a level elsewhere: seeing
# "my own" people of a project means nothing.
ON_OFF_CODES: frozenset[str] = frozenset({USERS_VIEW})

DECLARED = (
    PROJECT_VIEW,
    PROJECT_EDIT,
    MILESTONES_VIEW,
    MILESTONES_ADD,
    MILESTONES_EDIT,
    MILESTONES_DELETE,
    TASKS_VIEW,
    TASKS_ADD,
    TASKS_EDIT,
    TASKS_DELETE,
    USERS_VIEW,
)


# The built-in "Client" profile (DESIGN.md): see the project, its milestones and
# tasks and the project's people; add tasks; edit and delete the tasks they added
# or are assigned to.
BUILTIN_CLIENT_PERMISSIONS: dict[str, str] = {
    PROJECT_VIEW: Level.ALL,
    MILESTONES_VIEW: Level.ALL,
    TASKS_VIEW: Level.ALL,
    TASKS_ADD: Level.ALL,
    TASKS_EDIT: Level.OWN,
    TASKS_DELETE: Level.OWN,
    USERS_VIEW: Level.ALL,
}


class UnknownPermission(ValueError):
    pass


def client_actions(module: Module) -> tuple[Action, ...]:
    """The module's actions a client user may be given (the grid's boxes)."""
    return tuple(a for a in module.actions if f"{module.key}.{a}" not in STAFF_ONLY_CODES)


def validate_code(code: str) -> str:
    if code not in CODES:
        raise UnknownPermission(f"{code!r} is not in the permission catalogue")
    return code


def split(code: str) -> tuple[str, Action]:
    module, _sep, action = validate_code(code).partition(".")
    return module, Action(action)


def is_levelled(code: str) -> bool:
    """Does the code take a level (none / own / all) rather than on or off?"""
    return split(code)[1] in LEVELLED_ACTIONS and code not in ON_OFF_CODES


def levels_for(code: str) -> tuple[Level, ...]:
    """The levels a code takes: view, edit and delete a level; add (and ON_OFF_CODES) on or off."""
    if is_levelled(code):
        return (Level.NONE, Level.OWN, Level.ALL)
    return (Level.NONE, Level.ALL)
