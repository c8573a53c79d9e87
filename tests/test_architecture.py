"""The layering of DESIGN.md ("Layout"), checked on every import of the code.

Lower apps never import higher ones: `accounts` and `portals` know nothing of
access rules, projects or the demo; `notifications` knows no domain (it may
ask `access.portal`, the portal-level questions, which know portals only);
`audit` records changes of every app and so imports none of them;
nothing but `demo` imports `demo`. When an app is added, add its line here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PORTAIL = Path(__file__).resolve().parent.parent / "portail"

# app -> the portail modules it must not import (a prefix matches its submodules)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "accounts": ("portail.access", "portail.projects", "portail.clients", "portail.demo"),
    "portals": (
        "portail.access",
        "portail.projects",
        "portail.clients",
        "portail.notifications",
        "portail.demo",
    ),
    "notifications": (
        "portail.projects",
        "portail.clients",
        "portail.access.rules",
        "portail.access.selectors",
        "portail.access.decorators",
        "portail.demo",
    ),
    "audit": (
        "portail.projects",
        "portail.clients",
        "portail.notifications",
        "portail.access.rules",
        "portail.access.selectors",
        "portail.access.decorators",
        "portail.demo",
    ),
    "access": ("portail.clients", "portail.demo"),
    "clients": ("portail.demo",),
    "projects": ("portail.clients", "portail.demo"),
    "ops": ("portail.demo",),
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_lower_apps_do_not_import_higher_ones(app: str) -> None:
    wrong = sorted(
        f"{path.relative_to(PORTAIL.parent)} imports {name}"
        for path in (PORTAIL / app).rglob("*.py")
        if "migrations" not in path.parts
        for name in imports_of(path)
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN[app])
    )
    assert wrong == []


def test_every_app_has_a_layering_rule() -> None:
    apps = {p.parent.name for p in PORTAIL.glob("*/apps.py")}
    assert apps - {"demo"} == set(FORBIDDEN)


# PE5: project data reaches a page only through `portail.access` (its selectors and the
# `project_permission` decorator), which filter by the person's permissions in SQL.
PROJECT_DATA = {"Project", "ProjectMember", "Milestone", "Task", "PermissionOverride"}


def direct_queries(path: Path) -> list[str]:
    """`Task.objects...` and the like; `.objects.none()` (a form field's placeholder,
    replaced by an access selector's queryset) reads nothing and is fine."""
    tree = ast.parse(path.read_text(), filename=str(path))
    placeholders = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "none"
    }
    return [
        f"{path.relative_to(PORTAIL.parent)}:{node.lineno} {node.value.id}.objects"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in {"objects", "_default_manager"}
        and isinstance(node.value, ast.Name)
        and node.value.id in PROJECT_DATA
        and id(node) not in placeholders
    ]


def test_pe5_views_and_forms_never_query_project_data_themselves() -> None:
    pages = [
        path
        for pattern in ("*views.py", "*forms.py", "templatetags/*.py")
        for path in PORTAIL.rglob(pattern)
    ]
    assert pages, "no page modules found"
    assert [hit for path in pages for hit in direct_queries(path)] == []
