"""``reaper once``: one cycle, then exit (0 ok, 1 incomplete, 3 another reaper runs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reaper.app import open_cycle
from reaper.commands import EXIT_FAILED, EXIT_OK, EXIT_SKIPPED

if TYPE_CHECKING:
    from reaper.config import Settings


def once(settings: Settings) -> int:
    """Run one cycle; no process stays to answer buttons after it, so messages carry none."""
    settings = settings.model_copy(update={"slack_app_token": None})
    with open_cycle(settings) as cycle:
        outcome = cycle.run()
    if outcome.skipped:
        return EXIT_SKIPPED
    return EXIT_OK if outcome.ok else EXIT_FAILED
