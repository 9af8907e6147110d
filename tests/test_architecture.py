"""The shape of the house: layers kept, no import cycle, rooms small enough to hold in mind."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "reaper"
CORE = sorted((PACKAGE / "core").glob("*.py"))
ALLOWED = {"__future__", "dataclasses", "datetime", "enum", "typing", "collections", "math"}
MAX_LINES = 300
MAX_LOOSE = 8  # modules at the top of reaper/, besides __init__.py and __main__.py


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", CORE, ids=lambda p: p.name)
def test_core_has_no_io(module: Path) -> None:
    """The decision core imports only the standard library's data modules and itself."""
    found = imports(module)
    outside = {name for name in found if name.split(".")[0] not in ALLOWED | {"reaper"}}
    adapters = {name for name in found if name.startswith("reaper") and name != "reaper.core"}
    adapters = {name for name in adapters if not name.startswith("reaper.core.")}
    assert outside == set()
    assert adapters == set()


def test_no_module_is_over_300_lines() -> None:
    """Every module of the package is at most 300 lines: split by responsibility past that."""
    sizes = {
        str(p.relative_to(PACKAGE)): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")
    }
    assert {p: n for p, n in sizes.items() if n > MAX_LINES} == {}


def test_few_modules_lie_loose() -> None:
    """The top of reaper/ holds packages (the layers) and a few shared modules."""
    loose = {p.name for p in PACKAGE.glob("*.py")} - {"__init__.py", "__main__.py"}
    assert len(loose) <= MAX_LOOSE, sorted(loose)


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every strongly connected group of two or more modules (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle_anywhere() -> None:
    """No two modules import each other, directly or around a loop, the simulator included."""
    assert _cycles(grimp.build_graph("reaper")) == []


def test_the_cycle_finder_sees_a_loop() -> None:
    """The check above would fail: a graph with a loop of three modules is reported."""
    graph = grimp.ImportGraph()
    for name in ("p.a", "p.b", "p.c", "p.d"):
        graph.add_module(name)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.c")
    graph.add_import(importer="p.c", imported="p.a")
    graph.add_import(importer="p.d", imported="p.a")
    assert _cycles(graph) == [["p.a", "p.b", "p.c"]]
