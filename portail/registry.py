"""The permission registry every app plugs into: what can be done, and by whom it may be given.

Each app declares, in its own `permissions.py`:

- its **modules** (`Module`): a part of a project that people act on (tasks,
  milestones, ...), with the actions it offers, the levels each action takes, the model
  of its rows, the fields that make a row someone's "own" and the field that shows a row
  to clients. The permission grid, the "view as" page, the gate
  (`portail.access.gate`), the generic `visible` selector and the authorization tests
  read modules from here, so a new module needs no edit anywhere else;
- its **portal actions** (`PortalAction`): what a staff role may do across a portal
  (see the audit log, manage client users, ...), with the roles allowed.

`portail.access` discovers every `permissions.py` at start-up (`autodiscover`) and runs
`problems()` as a system check: a key declared twice, a level an action cannot take, a
built-in grant the action does not offer, an "own" level on a module without owner
fields. Codes are written `"<module>.<action>"`; use each app's constants, never a
hand-typed string; `validate_code` fails loudly on a typo.

This module knows no app: it imports Django only, so apps at every layer can declare.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class Action(StrEnum):
    VIEW = "view"
    ADD = "add"
    EDIT = "edit"
    DELETE = "delete"


class Level(StrEnum):
    NONE = "none"
    OWN = "own"
    ALL = "all"


# The levels an action may take: on or off, or also "own" rows only.
ON_OFF: tuple[Level, ...] = (Level.NONE, Level.ALL)
LEVELLED: tuple[Level, ...] = (Level.NONE, Level.OWN, Level.ALL)

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


class UnknownPermission(ValueError):
    pass


@dataclass(frozen=True)
class Ability:
    """One action of a module: the levels it takes, and who may hold it.

    `staff_only`: no client profile or customisation grants it, and the grid does not
    offer it. `builtin`: the level the built-in "Client" profile gives.
    """

    action: Action
    levels: tuple[Level, ...] = LEVELLED
    staff_only: bool = False
    builtin: Level = Level.NONE


@dataclass(frozen=True)
class Module:
    """A part of a project that people act on, as the permission system sees it.

    `model` holds the module's rows (each with `portal` and `project`); `item` names one
    row in a view's keyword arguments, and `url_kwarg` (`<item>_id` by default) its id in
    the URL, looked up by `lookup`.
    `own_fields` are the membership fields that make a row someone's own (for `own`
    levels); `client_visible` the boolean field without which clients never see a row;
    `client_rows` narrows further what a client may see of it (people of their company).
    `related` is what the gate loads with a row (`select_related`). `urls` (a dotted
    URLconf) holds the module's pages: portail/urls.py mounts it under the project, at
    `p/<portal_slug>/projects/<project_id>/<key>/`, with the module's key as namespace.
    """

    key: str
    label: Promise
    abilities: tuple[Ability, ...]
    model: Any = None
    item: str | None = None
    lookup: str = "pk"
    url_kwarg: str | None = None
    own_fields: tuple[str, ...] = ()
    client_visible: str | None = None
    client_rows: Callable[[QuerySet[Any], Any], QuerySet[Any]] | None = None
    related: tuple[str, ...] = ()
    urls: str | None = None

    @property
    def actions(self) -> tuple[Action, ...]:
        return tuple(ability.action for ability in self.abilities)

    @property
    def item_kwarg(self) -> str:
        return self.url_kwarg or f"{self.item}_id"

    def code(self, action: Action) -> str:
        return f"{self.key}.{action.value}"

    def ability(self, action: Action) -> Ability:
        for ability in self.abilities:
            if ability.action == action:
                return ability
        raise UnknownPermission(f"{self.code(action)!r} is not in the permission catalogue")

    def client_actions(self) -> tuple[Action, ...]:
        """The actions a client user may be given (the grid's boxes)."""
        return tuple(a.action for a in self.abilities if not a.staff_only)


class PortalAction(str):
    """Something a staff role may do across a portal: its code (`"portal.view_audit"`,
    which it equals) and the roles allowed."""

    roles: frozenset[str]

    def __new__(cls, code: str, roles: frozenset[str]) -> PortalAction:
        action = super().__new__(cls, code)
        action.roles = roles
        return action

    @property
    def code(self) -> str:
        return str.__str__(self)

    @property
    def name(self) -> str:
        """The key templates read: `portal_may.view_audit`."""
        return self.code.removeprefix("portal.")


@dataclass
class Registry:
    modules: dict[str, Module] = field(default_factory=dict)
    portal_actions: dict[str, PortalAction] = field(default_factory=dict)
    _duplicates: list[str] = field(default_factory=list)
    # Sets of codes, read on every permission check: computed once per set of modules.
    _codes: dict[str, frozenset[str]] = field(default_factory=dict)

    # Declaring -----------------------------------------------------------------------

    def module(self, module: Module) -> Module:
        if module.key in self.modules:
            self._duplicates.append(f"module {module.key!r}")
        self.modules[module.key] = module
        self._codes.clear()
        return module

    def portal_action(self, code: str, *, roles: Any) -> PortalAction:
        action = PortalAction(code, frozenset(str(role) for role in roles))
        if code in self.portal_actions:
            self._duplicates.append(f"portal action {code!r}")
        self.portal_actions[code] = action
        return action

    @contextmanager
    def added(self, *modules: Module) -> Iterator[None]:
        """Register modules for the duration of a block (tests of a new module)."""
        before, duplicates = dict(self.modules), list(self._duplicates)
        for module in modules:
            self.module(module)
        try:
            yield
        finally:
            self.modules, self._duplicates = before, duplicates
            self._codes.clear()

    # Reading -------------------------------------------------------------------------

    def all_modules(self) -> tuple[Module, ...]:
        return tuple(self.modules.values())

    def codes(self) -> frozenset[str]:
        if "all" not in self._codes:
            modules = self.modules.values()
            self._codes["all"] = frozenset(m.code(a) for m in modules for a in m.actions)
        return self._codes["all"]

    def staff_only_codes(self) -> frozenset[str]:
        if "staff" not in self._codes:
            self._codes["staff"] = frozenset(
                m.code(a.action) for m in self.modules.values() for a in m.abilities if a.staff_only
            )
        return self._codes["staff"]

    def client_codes(self) -> frozenset[str]:
        if "client" not in self._codes:
            self._codes["client"] = self.codes() - self.staff_only_codes()
        return self._codes["client"]

    def split(self, code: str) -> tuple[Module, Ability]:
        key, _sep, action = code.partition(".")
        module = self.modules.get(key)
        if module is None or action not in Action._value2member_map_:
            raise UnknownPermission(f"{code!r} is not in the permission catalogue")
        return module, module.ability(Action(action))

    def validate_code(self, code: str) -> str:
        self.split(code)
        return code

    def levels_for(self, code: str) -> tuple[Level, ...]:
        return self.split(code)[1].levels

    def is_levelled(self, code: str) -> bool:
        """Does the code take a level (none / own / all) rather than on or off?"""
        return Level.OWN in self.levels_for(code)

    def item_module(self, item: str) -> Module:
        for module in self.modules.values():
            if module.item == item:
                return module
        raise UnknownPermission(f"no module has items called {item!r}")

    def builtin_client_permissions(self) -> dict[str, str]:
        """The built-in "Client" profile's set: what each module declares for it."""
        return {
            m.code(a.action): a.builtin.value
            for m in self.modules.values()
            for a in m.abilities
            if a.builtin != Level.NONE
        }

    def portal_action_for(self, code: str) -> PortalAction:
        try:
            return self.portal_actions[code]
        except KeyError:
            raise UnknownPermission(f"{code!r} is not a portal action") from None

    # Checking ------------------------------------------------------------------------

    def problems(self) -> list[str]:
        """What is wrong with the declarations (run at start-up as a system check)."""
        found = [f"{what} is declared twice" for what in self._duplicates]
        items = [m.item for m in self.modules.values() if m.item]
        found += [
            f"item {item!r} is declared by two modules"
            for item in set(items)
            if items.count(item) > 1
        ]
        for module in self.modules.values():
            if "." in module.key or not module.key:
                found.append(f"module {module.key!r}: a key is a word without dots")
            actions = module.actions
            if not actions or len(actions) != len(set(actions)):
                found.append(f"module {module.key!r}: no action, or an action twice")
            if module.item and module.model is None:
                found.append(f"module {module.key!r}: items need a model")
            for ability in module.abilities:
                code = module.code(ability.action)
                if ability.levels not in (ON_OFF, LEVELLED):
                    found.append(f"{code}: levels must be none/all or none/own/all")
                if Level.OWN in ability.levels and module.model and not module.own_fields:
                    found.append(f"{code}: an 'own' level needs the module's own_fields")
                if ability.builtin not in ability.levels:
                    found.append(f"{code}: the built-in level {ability.builtin} is not offered")
                if ability.staff_only and ability.builtin != Level.NONE:
                    found.append(f"{code}: a staff-only action cannot be built in for clients")
        for action in self.portal_actions.values():
            if not action.code.startswith("portal.") or not action.roles:
                found.append(f"portal action {action.code!r}: 'portal.<name>' with roles")
        return found


registry = Registry()


def autodiscover() -> None:
    """Import every installed app's `permissions` module, which declares into `registry`."""
    autodiscover_modules("permissions")
