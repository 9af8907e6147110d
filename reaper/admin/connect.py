"""The GitHub client as the settings describe it, for the admin commands (and any other caller)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reaper.github import GitHubClient

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from reaper.settings import Settings


def github_client(settings: Settings, *, clock: Callable[[], datetime]) -> GitHubClient:
    """A ``GitHubClient`` with the configured URL, token, version, timeouts and retry limits."""
    return GitHubClient(
        base_url=settings.github_api_url,
        token=settings.github_token.get_secret_value(),
        api_version=settings.github_api_version,
        timeout=settings.github_timeout_seconds,
        max_attempts=settings.github_max_attempts,
        max_wait=settings.github_max_wait_seconds,
        rate_limit_reserve=settings.github_rate_limit_reserve,
        clock=clock,
    )
