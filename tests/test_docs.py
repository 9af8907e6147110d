"""The documentation stays true: every setting is documented where users look for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from reaper.config.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
VARIABLES = sorted(
    {f"REAPER_{name.upper()}" for name in Settings.model_fields} | {"REAPER_SECRETS_DIR"}
)


@pytest.mark.parametrize("document", ["config/reaper.env.example", "README.md"])
def test_every_variable_is_documented(document: str) -> None:
    """Each REAPER_* variable the settings read appears in the example config and the README."""
    text = (ROOT / document).read_text()
    assert [name for name in VARIABLES if name not in text] == []


def test_readme_test_command_is_what_ci_runs() -> None:
    """CI runs the README's test command."""
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make check" in readme
    assert "make check" in ci
