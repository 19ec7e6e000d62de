"""The import graph, read from the source: no cycle between files, none between apps.

Every module of the project's packages is parsed with `ast`, and every import counts,
including those inside functions (a cycle that only works because one side imports
late is still a cycle). import-linter (`make lint`) checks the layers; this checks
what it does not: that no two files, and no two apps, import each other round a loop.
"""

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

from celery import current_app

ROOT = Path(__file__).resolve().parent.parent
# The project's packages, as import-linter knows them.
PACKAGES = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
    "root_packages"
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
    }


def imported(name: str, path: Path, modules: dict[str, Path]) -> Iterator[str]:
    """The project modules `name` imports, wherever in the file the import is."""

    def known(target: str) -> str | None:
        # `import a.b.c` or `from a.b import c` where c is a function: the nearest module.
        while target and target not in modules:
            target = target.rpartition(".")[0]
        return target or None

    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parent, *([base] if base else [])])
            # `from posts import mirror` imports the module posts.mirror.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            found = known(target)
            if found and found != name:
                yield found


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: set(imported(name, path, modules)) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one member (Tarjan's)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def edges_within(graph: dict[str, set[str]], members: list[str]) -> list[str]:
    return [f"{a} -> {b}" for a in members for b in sorted(graph[a]) if b in members]


def app_graph(graph: dict[str, set[str]]) -> dict[str, dict[str, list[str]]]:
    """app -> the other apps it imports -> the file imports that make it so."""
    apps: dict[str, dict[str, list[str]]] = {}
    for source, targets in graph.items():
        for target in targets:
            a, b = source.split(".")[0], target.split(".")[0]
            if a != b:
                apps.setdefault(a, {}).setdefault(b, []).append(f"{source} -> {target}")
    return apps


def test_it_reads_every_module_and_their_imports() -> None:
    graph = import_graph()
    assert {"core", "posts", "oktodash"} <= set(PACKAGES)
    assert "posts.tasks" in graph and "core.services" in graph
    # A late import inside a function counts: alerts' tasks import their services there.
    assert "alerts.services.send" in graph["alerts.tasks"]


def test_no_two_files_import_each_other_round_a_loop() -> None:
    graph = import_graph()
    found = cycles(graph)
    described = ["\n  ".join(edges_within(graph, members)) for members in found]
    assert not found, "Import cycles between files:\n  " + "\n\n  ".join(described)


def test_no_two_apps_import_each_other_round_a_loop() -> None:
    apps = app_graph(import_graph())
    found = cycles({app: set(targets) for app, targets in apps.items()})
    lines = [
        f"{a} -> {b}: " + ", ".join(apps[a][b])
        for members in found
        for a in members
        for b in sorted(apps.get(a, {}))
        if b in members
    ]
    assert not found, "Import cycles between apps:\n  " + "\n  ".join(lines)


def test_the_apps_never_import_the_project_package() -> None:
    apps = app_graph(import_graph())
    leaning = {app: targets["oktodash"] for app, targets in apps.items() if "oktodash" in targets}
    assert not leaning, f"Apps importing oktodash: {leaning}"


def test_the_tasks_services_queue_by_name_are_tasks() -> None:
    from alerts import task_names as alerts_names
    from alerts import tasks as alerts_tasks
    from posts import task_names as posts_names
    from posts import tasks as posts_tasks

    assert alerts_tasks and posts_tasks  # imported: their tasks are registered
    for names in (posts_names, alerts_names):
        for attribute, name in vars(names).items():
            if not attribute.startswith("_"):
                assert name in current_app.tasks, f"{names.__name__}.{attribute}: {name}"
