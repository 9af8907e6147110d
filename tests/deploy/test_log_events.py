"""Every log event the README promises is emitted, and every emitted one is documented.

The emitted names are read from the source: each logger call under reaper/ whose event is a
string literal, or a name its function or module assigns only string literals
(``event = "a.b" if x else "c.d"``, ``REINSTATED = "seat.reinstated"``). The documented
names are the backticked dotted names of the README's Logs section.
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from tests.deploy.tools import ROOT

if TYPE_CHECKING:
    from pathlib import Path

LEVELS = {"debug", "info", "warning", "error", "exception", "critical"}
EVENT = re.compile(r"^[a-z][a-z_]*(\.[a-z_]+)+$")


def _event_constants(node: ast.AST) -> set[str]:
    return {
        sub.value
        for sub in ast.walk(node)
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and EVENT.match(sub.value)
    }


def _assigned(nodes: list[ast.AST], name: str) -> set[str] | None:
    """Event names ``name`` is assigned in ``nodes`` (None: none, or not only literals)."""
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in node.targets
        ):
            values = _event_constants(node.value)
            if not values:
                return None
            found |= values
    return found or None


def _scopes(tree: ast.Module, line: int) -> list[list[ast.AST]]:
    """Where a name used on ``line`` may be assigned: its function, then the module's top."""
    functions = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.lineno <= line <= (node.end_lineno or 0)
    ]
    inner = [list(ast.walk(functions[-1]))] if functions else []
    return [*inner, list(tree.body)]


def emitted_events(package: Path = ROOT / "reaper") -> tuple[set[str], list[str]]:
    """The event names logged under ``package``, and the calls whose event is not a literal."""
    events: set[str] = set()
    unresolved: list[str] = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for call in ast.walk(tree):
            if not (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr in LEVELS
                and call.args
            ):
                continue
            receiver = ast.unparse(call.func.value)
            if not re.search(r"(^|[._])log(ger)?($|\()", receiver):
                continue  # not a logger: e.g. a Slack client's method of the same name
            first = call.args[0]
            where = f"{path.relative_to(package.parent)}:{call.lineno}"
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                if not EVENT.match(first.value):
                    unresolved.append(f"{where}: {first.value!r} is no dotted event name")
                events.add(first.value)
                continue
            if isinstance(first, ast.Name):
                scopes = _scopes(tree, call.lineno)
                names = next(filter(None, (_assigned(s, first.id) for s in scopes)), None)
                if names:
                    events |= names
                    continue
            unresolved.append(f"{where}: event {ast.unparse(first)} is not a literal")
    return events, unresolved


def documented_events(readme: Path = ROOT / "README.md") -> set[str]:
    """The backticked dotted event names of the README's "### Logs" section."""
    text = readme.read_text()
    section = text.split("\n### Logs\n", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    return {name for name in re.findall(r"`([^`\s]+)`", section) if EVENT.match(name)}


def test_every_emitted_event_is_documented_and_every_documented_one_emitted() -> None:
    """The README's Logs section and the logger calls under reaper/ name the same events."""
    emitted, unresolved = emitted_events()
    assert not unresolved, "log calls whose event name cannot be read:\n" + "\n".join(unresolved)
    documented = documented_events()
    undocumented = sorted(emitted - documented)
    unemitted = sorted(documented - emitted)
    problems = []
    if undocumented:
        problems.append(f"emitted but not in README.md's Logs section: {', '.join(undocumented)}")
    if unemitted:
        problems.append(f"in README.md's Logs section but never emitted: {', '.join(unemitted)}")
    assert not problems, "; ".join(problems)


def test_the_scan_finds_literal_conditional_and_unreadable_events(tmp_path: Path) -> None:
    """The scanner reads literals and literal-only variables, and reports any other event."""
    (tmp_path / "module.py").write_text(
        "def f(log, dry, name):\n"
        '    log.info("seat.flagged", org=1)\n'
        '    event = "seat.would_cancel" if dry else "seat.cancelled"\n'
        "    log.warning(event)\n"
        '    get_logger("x").error("reaper.failed")\n'
        '    client.info("not.a_log")\n'
        '    log.info(f"dynamic.{name}")\n'
        "    log.error(REFUSED)\n"
        'REFUSED = "seat.reinstate_refused"\n'
    )
    events, unresolved = emitted_events(tmp_path)
    assert events == {
        "seat.flagged",
        "seat.would_cancel",
        "seat.cancelled",
        "reaper.failed",
        "seat.reinstate_refused",
    }
    assert len(unresolved) == 1
    assert unresolved[0].endswith("module.py:7: event f'dynamic.{name}' is not a literal")
