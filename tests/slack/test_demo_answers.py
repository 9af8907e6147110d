"""`reaper demo` shows a warned person keeping their seat by answering in Slack."""

from __future__ import annotations

import subprocess

import pytest

from tests.test_cli import REAPER


@pytest.mark.usefixtures("clean_env")
def test_the_demo_keeps_a_seat_by_a_click() -> None:
    """A warned person clicks "I still need it" over Socket Mode and is not cancelled."""
    result = subprocess.run(
        [*REAPER, "demo"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    warned = out.index("[I still need it]  [Release it now]")
    clicked = out.index('answers the warning: "I still need it"')
    kept = out.index("You keep your seat")
    assert warned < clicked < kept < out.index("Cancelled (")
    assert "[Reinstate]" in out
    assert "[Keep]" in out
    assert "by answering in Slack" in out
    assert "xoxb-" not in out + result.stderr
