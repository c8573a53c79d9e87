"""Audit event keys are constants each app declares in its events.py, one key per action:
never a hand-typed string at the call, and never one action under two keys."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from portail.audit.services import ACTION_KEY

PORTAIL = Path(__file__).resolve().parents[2] / "portail"
EVENT_MODULES = sorted(path.parent.name for path in PORTAIL.glob("*/events.py"))


def declared() -> dict[str, list[str]]:
    """key -> the constants (app.NAME) that declare it."""
    keys: dict[str, list[str]] = {}
    for app in EVENT_MODULES:
        module = importlib.import_module(f"portail.{app}.events")
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, str):
                keys.setdefault(value, []).append(f"{app}.{name}")
    return keys


def test_each_key_is_declared_once_and_well_formed() -> None:
    keys = declared()
    assert {"projects", "clients", "access"} <= set(EVENT_MODULES)
    assert [key for key, names in keys.items() if len(names) > 1] == []
    assert [key for key in keys if not ACTION_KEY.fullmatch(key)] == []


def test_no_call_of_audit_log_types_its_key() -> None:
    typed = []
    for path in PORTAIL.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in {"audit_log", "log_change"}:
                continue
            values = [kw.value for kw in node.keywords if kw.arg == "action"] + node.args[1:2]
            if any(isinstance(value, ast.Constant) for value in values):
                typed.append(f"{path.relative_to(PORTAIL.parent)}:{node.lineno}")
    assert typed == []


def test_putting_someone_on_a_project_has_one_key_whoever_they_are() -> None:
    from portail.projects.events import PROJECT_MEMBER_ADDED, PROJECT_MEMBER_REMOVED

    keys = declared()
    assert keys[PROJECT_MEMBER_ADDED] == ["projects.PROJECT_MEMBER_ADDED"]
    assert keys[PROJECT_MEMBER_REMOVED] == ["projects.PROJECT_MEMBER_REMOVED"]
    assert "project.member_added" not in keys
