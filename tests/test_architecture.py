"""The shape of the code, checked on every import: apps in layers, no loop between apps.

The import graph between apps is computed from the source (`ast`; migrations are left
out: they name models as they were). An app may import only apps of lower layers
(ARCHITECTURE.md says why each app sits where it does), and the top-level modules of
`portail/` that are not apps (`registry.py`, `web.py`, ...) are a library every layer may
use: they import no app. When an app is added, add it to a layer here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

PORTAIL = Path(__file__).resolve().parent.parent / "portail"

# Lowest first. An app imports only apps of the layers below its own.
LAYERS: tuple[frozenset[str], ...] = (
    # Who people are and how they sign in; nothing of portals.
    frozenset({"accounts"}),
    # Portals, memberships, staff roles and what each role may do across a portal.
    frozenset({"portals"}),
    # Infrastructure every domain app uses: the outbox, the audit log. No domain model.
    frozenset({"notifications", "audit"}),
    # Above the outbox: password resets by email.
    frozenset({"recovery"}),
    # The core of projects: projects, their members, milestones and tasks, and the
    # services that change them. No page: pages ask `access`.
    frozenset({"projects"}),
    # Client profiles, per-project customisations, the gate and what people may see.
    frozenset({"access"}),
    # Feature apps, each with its pages: client companies and users, the project pages.
    frozenset({"clients", "workspace"}),
    # Around the product: backups; the demo portal and the development server.
    frozenset({"ops", "demo"}),
)
LAYER_OF: dict[str, int] = {app: level for level, apps in enumerate(LAYERS) for app in apps}
# The project's wiring, above every app: it names them all.
WIRING = frozenset({"settings", "urls", "wsgi", "asgi"})


def imported_portail_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("portail.")}


def app_graph(package: Path) -> dict[str, set[str]]:
    """app -> the other apps its modules import (an app is a folder with apps.py);
    library modules of the package (`web.py`, ...) appear as `.web` and so on."""
    apps = {p.parent.name for p in package.glob("*/apps.py")}
    graph: dict[str, set[str]] = {app: set() for app in apps}
    for path in package.rglob("*.py"):
        relative = path.relative_to(package)
        if "migrations" in relative.parts:
            continue
        owner = relative.parts[0] if len(relative.parts) > 1 else f".{relative.stem}"
        if (owner.startswith(".") and owner[1:] in WIRING) or (
            owner not in apps and owner[0] != "."
        ):
            continue  # a folder that is not an app (templates, locale), or the wiring
        for name in imported_portail_modules(path):
            target = name.split(".")[1]
            target = target if target in apps else f".{target}"
            if target != owner:
                graph.setdefault(owner, set()).add(target)
    return graph


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Every group of apps that import each other in a loop (Tarjan's strongly connected
    components of more than one app), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def against_the_layers(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Imports that go sideways or up the declared layers, and library modules that
    import an app."""
    wrong = []
    for app, targets in sorted(graph.items()):
        for target in sorted(targets):
            if app.startswith("."):
                if not target.startswith("."):
                    wrong.append(f"library portail/{app[1:]}.py imports the app {target}")
            elif not target.startswith(".") and LAYER_OF[target] >= LAYER_OF[app]:
                wrong.append(
                    f"{app} (layer {LAYER_OF[app]}) imports {target} (layer {LAYER_OF[target]})"
                )
    return wrong


GRAPH = app_graph(PORTAIL)


def test_no_loop_between_apps() -> None:
    assert cycles(GRAPH) == []


def test_apps_import_only_apps_of_lower_layers() -> None:
    assert against_the_layers(GRAPH) == []


def test_every_app_has_a_layer() -> None:
    apps = {p.parent.name for p in PORTAIL.glob("*/apps.py")}
    assert apps == set(LAYER_OF)


# The checks themselves, on a deliberate mistake.


def write_app(root: Path, app: str, *imports: str) -> None:
    (root / app).mkdir(parents=True)
    (root / app / "apps.py").write_text("")
    (root / app / "models.py").write_text("".join(f"import portail.{i}.models\n" for i in imports))
    (root / app / "migrations").mkdir()
    # Migrations name models as they were: never counted.
    (root / app / "migrations" / "0001_initial.py").write_text("import portail.demo.models\n")


def test_the_cycle_check_fails_on_a_deliberate_loop(tmp_path: Path) -> None:
    write_app(tmp_path, "accounts", "portals")
    write_app(tmp_path, "portals", "projects")
    write_app(tmp_path, "projects", "accounts")
    write_app(tmp_path, "clients", "projects")
    write_app(tmp_path, "demo")
    graph = app_graph(tmp_path)

    assert cycles(graph) == [["accounts", "portals", "projects"]]
    assert "accounts (layer 0) imports portals (layer 1)" in against_the_layers(graph)


def test_the_layer_check_fails_on_a_sideways_import_and_a_library_that_imports_an_app(
    tmp_path: Path,
) -> None:
    write_app(tmp_path, "clients", "workspace")
    write_app(tmp_path, "workspace")
    (tmp_path / "web.py").write_text("from portail.clients.models import ClientCompany\n")
    graph = app_graph(tmp_path)

    assert cycles(graph) == []
    assert against_the_layers(graph) == [
        "library portail/web.py imports the app clients",
        "clients (layer 6) imports workspace (layer 6)",
    ]


# Pages never query models themselves: project data comes through `portail.access` (its
# selectors and the gate), which filter by the person's permissions in SQL (PE5), and
# everything else through the selectors of the app that owns it.


def model_names() -> set[str]:
    from django.apps import apps

    return {
        model.__name__ for model in apps.get_models() if model.__module__.startswith("portail.")
    }


def direct_queries(path: Path, models: set[str]) -> list[str]:
    """`Task.objects...` and the like; `.objects.none()` (a form field's placeholder,
    replaced by a selector's queryset) reads nothing and is fine."""
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
        and node.value.id in models
        and id(node) not in placeholders
    ]


def test_pe5_views_and_forms_never_query_models_themselves() -> None:
    models = model_names()
    assert {"Task", "ClientCompany", "User", "OutboundEmail", "AuditEvent"} <= models
    pages = [
        path
        for pattern in ("*views.py", "*forms.py", "templatetags/*.py")
        for path in PORTAIL.rglob(pattern)
    ]
    assert pages, "no page modules found"
    assert [hit for path in pages for hit in direct_queries(path, models)] == []
