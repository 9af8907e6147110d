"""``reaper run``: cycles on ``REAPER_SCHEDULE`` until stopped (the service)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reaper.service.scheduler import serve

if TYPE_CHECKING:
    from reaper.config import Settings


def run(settings: Settings) -> int:
    """Serve until SIGTERM: the scheduler, health and metrics, and the Slack link if set."""
    return serve(settings)
