"""The layout's rules (ARCHITECTURE.md), read from the source: no import loops, and each layer imports only downwards.

Imports are read with ``ast`` from every module of ``moderation`` and
``training``, at any depth (an import inside a function is a dependency too,
only a later one), so a loop cannot hide in a lazy import.
"""
from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("moderation", "training")
AREAS = ("comments", "queue", "model", "sites", "accounts")
#: The shared core that every area builds on: it imports no area.
FOUNDATION = ("moderation.config", "moderation.extensions", "moderation.models", "moderation.forms",
              "moderation.errors", "moderation.backup")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")
            if "migrations" not in p.parts}


def imported(name: str, path: Path, known: set[str]) -> Iterator[str]:
    """The project modules that ``name`` imports, resolved against ``known``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            # ``from . import shadow`` imports a module; ``from .submit import Draft`` a name of one.
            targets = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source
                       for alias in node.names]
        else:
            continue
        yield from (t for t in targets if t in known)


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: set(imported(name, path, known)) - {name} for name, path in found.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def area_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "moderation" and parts[1] in AREAS else None


def test_the_walk_sees_the_imports(graph: dict[str, set[str]]) -> None:
    """Guards the test itself: relative, nested and module imports are all resolved."""
    assert "moderation.comments.screening" in graph["moderation.comments.submit"]
    assert "moderation.comments.followups" in graph["moderation.comments.submit"]  # from . import followups
    assert "moderation.comments.views" in graph["moderation.comments"]  # inside init_app
    assert "training.pipeline" in graph["training.compiled"]


def test_no_import_cycle(graph: dict[str, set[str]]) -> None:
    assert cycles(graph) == []


def test_the_cycle_finder_finds_one() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_training_imports_nothing_of_the_app(graph: dict[str, set[str]]) -> None:
    leaks = {m: sorted(t for t in targets if t.startswith("moderation"))
             for m, targets in graph.items() if m.startswith("training")}
    assert {m: t for m, t in leaks.items() if t} == {}


def test_no_area_imports_another_areas_views(graph: dict[str, set[str]]) -> None:
    crossings = [(m, t) for m, targets in graph.items() for t in targets
                 if area_of(m) and area_of(t) and area_of(m) != area_of(t) and t.endswith("views")]
    assert crossings == []


def test_the_shared_core_imports_no_area(graph: dict[str, set[str]]) -> None:
    upward = [(m, t) for m in FOUNDATION for t in graph[m] if area_of(t)]
    assert upward == []


def test_every_module_outside_the_core_belongs_to_an_area() -> None:
    top_level = {m for m in modules() if m.startswith("moderation.") and m.count(".") == 1}
    areas = {f"moderation.{area}" for area in AREAS}
    assert top_level - areas - set(FOUNDATION) == {"moderation.cli", "moderation.demo"}
