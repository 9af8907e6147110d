"""``reaper check``: configuration, token, orgs, Slack and state; exit 0 when ready."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reaper.app.checks import run_checks

if TYPE_CHECKING:
    from typing import TextIO

    from reaper.config import Settings


def check(settings: Settings, out: TextIO) -> int:
    """Print one line per check; 0 when every check passed."""
    return run_checks(settings, out)
