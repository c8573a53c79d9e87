"""The permission registry (portail/registry.py): what apps declare, and the start-up check
that refuses a declaration that does not hold together."""

from __future__ import annotations

import pytest
from django.utils.translation import gettext_lazy as _

from portail.access.checks import validate_catalogue
from portail.projects.models import Task
from portail.projects.permissions import TASKS, TASKS_EDIT, USERS_VIEW
from portail.registry import (
    LEVELLED,
    ON_OFF,
    Ability,
    Action,
    Level,
    Module,
    Registry,
    UnknownPermission,
    registry,
)


def test_every_app_declaration_holds_together_at_start_up() -> None:
    assert registry.problems() == []
    assert validate_catalogue() == []
    assert {"project", "milestones", "tasks", "users"} <= set(registry.modules)
    assert {
        "portal.create_projects",
        "portal.view_outbox",
        "portal.view_audit",
        "portal.manage_clients",
        "portal.manage_profiles",
        "portal.unlock_signin",
        "portal.manage_security",
    } == set(registry.portal_actions)


def test_levels_are_data_of_each_action_not_exceptions_in_code() -> None:
    assert registry.levels_for(TASKS_EDIT) == LEVELLED
    assert registry.levels_for(TASKS.code(Action.ADD)) == ON_OFF
    assert registry.levels_for(USERS_VIEW) == ON_OFF  # seeing "my own" people means nothing
    assert not registry.is_levelled(USERS_VIEW)
    assert registry.is_levelled(TASKS_EDIT)


@pytest.mark.parametrize("code", ["tasks.archive", "invoices.view", "tasks", "", "tasks.view.x"])
def test_a_code_nobody_declared_fails_loudly(code: str) -> None:
    with pytest.raises(UnknownPermission):
        registry.validate_code(code)


def dummy(**overrides: object) -> Module:
    declaration: dict[str, object] = {
        "key": "memos",
        "label": _("Memos"),
        "abilities": (Ability(Action.VIEW, LEVELLED), Ability(Action.ADD, ON_OFF)),
        "model": Task,
        "item": "memo",
        "own_fields": ("created_by",),
    }
    declaration.update(overrides)
    return Module(**declaration)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("module", "problem"),
    [
        (dummy(key="tasks"), "module 'tasks' is declared twice"),
        (dummy(item="task"), "item 'task' is declared by two modules"),
        (dummy(key="my.memos"), "a key is a word without dots"),
        (dummy(abilities=()), "no action, or an action twice"),
        (
            dummy(abilities=(Ability(Action.VIEW), Ability(Action.VIEW))),
            "no action, or an action twice",
        ),
        (dummy(model=None), "items need a model"),
        (dummy(abilities=(Ability(Action.VIEW, (Level.OWN,)),)), "levels must be"),
        (dummy(own_fields=()), "an 'own' level needs the module's own_fields"),
        (
            dummy(abilities=(Ability(Action.ADD, ON_OFF, builtin=Level.OWN),)),
            "the built-in level own is not offered",
        ),
        (
            dummy(abilities=(Ability(Action.VIEW, staff_only=True, builtin=Level.ALL),)),
            "a staff-only action cannot be built in",
        ),
    ],
)
def test_the_start_up_check_names_what_does_not_hold(module: Module, problem: str) -> None:
    with registry.added(module):
        problems = registry.problems()
        assert any(problem in found for found in problems), problems
        assert validate_catalogue() != []
    assert registry.problems() == []


def test_a_portal_action_declared_twice_or_without_roles_is_refused() -> None:
    mine = Registry()
    mine.portal_action("portal.export", roles=("admin",))
    mine.portal_action("portal.export", roles=("admin",))
    mine.portal_action("export_all", roles=())
    assert mine.problems() == [
        "portal action 'portal.export' is declared twice",
        "portal action 'export_all': 'portal.<name>' with roles",
    ]


def test_a_module_added_for_a_while_is_in_the_codes_then_gone() -> None:
    with registry.added(dummy()):
        assert {"memos.view", "memos.add"} <= registry.codes()
        assert registry.item_module("memo").key == "memos"
    assert "memos.view" not in registry.codes()
