"""How the reaper authenticates to GitHub, as the settings say: a token, or a GitHub App.

With ``REAPER_GITHUB_APP_ID`` the organisation endpoints use the App's installation tokens
(``reaper.github.app_auth``), asking for the permissions the reaper uses: Copilot seat
management, team membership when ``REAPER_RECLAIM_TEAMS`` is set, and Copilot metrics
(read) unless ``REAPER_USAGE_REPORT=off``; the enterprise endpoints use
``REAPER_GITHUB_TOKEN``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reaper.config.app_fields import load_private_key
from reaper.github.app_auth import MEMBERS, METRICS, SEATS, AppAuth

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from reaper.config.settings import Settings


def classic_token(settings: Settings) -> str:
    """``REAPER_GITHUB_TOKEN``, or ``""`` when only a GitHub App is configured."""
    token = settings.github_token
    return "" if token is None else token.get_secret_value()


def needed_permissions(settings: Settings) -> dict[str, str]:
    """The installation permissions the reaper uses with these settings."""
    needed = {SEATS: "write"}
    if getattr(settings, "reclaim_teams", None):  # seats reclaimed by team removal
        needed[MEMBERS] = "write"
    if getattr(settings, "usage_report", "off") != "off":  # the 28-day users report
        needed[METRICS] = "read"
    return needed


def app_auth(settings: Settings, clock: Callable[[], datetime]) -> AppAuth | None:
    """The GitHub App authentication the settings configure, or ``None`` (a token only)."""
    key = settings.github_app_private_key
    if settings.github_app_id is None or key is None:
        return None
    return AppAuth(
        app_id=settings.github_app_id,
        private_key=load_private_key(key.get_secret_value()),
        needed=needed_permissions(settings),
        clock=clock,
        installation_id=settings.github_app_installation_id,
        classic_token=settings.github_token.get_secret_value() if settings.github_token else None,
    )
