"""The shape of the house: the pure core imports no I/O library and no adapter."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "reaper"
CORE = ["domain.py", "policy.py"]
ALLOWED = {"__future__", "dataclasses", "datetime", "enum", "typing", "collections", "reaper"}
ALLOWED_REAPER = {"reaper.domain", "reaper.policy"}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", CORE)
def test_core_has_no_io(module: str) -> None:
    """The decision core imports only the standard library's data modules and itself."""
    found = imports(PACKAGE / module)
    outside = {name for name in found if name.split(".")[0] not in ALLOWED}
    adapters = {name for name in found if name.startswith("reaper") and name not in ALLOWED_REAPER}
    assert outside == set()
    assert adapters == set()


def test_modules_stay_small() -> None:
    """No module of the package grows past 400 lines."""
    sizes = {p.relative_to(PACKAGE): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    assert {p: n for p, n in sizes.items() if n > 400} == {}
