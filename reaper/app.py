"""Wiring: build the adapters and the cycle from settings. The one place the real clock is read."""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from reaper.cycle import Cycle
from reaper.github import GitHubClient
from reaper.slack import make_notifier
from reaper.store import SqlStore

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from reaper.settings import Settings


def utc_now() -> datetime:
    """Return the current time, timezone-aware UTC."""
    return datetime.now(UTC)


@contextmanager
def open_cycle(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[Cycle]:
    """Open the adapters for one cycle and close them afterwards."""
    store = SqlStore(settings.state_url)
    github = GitHubClient(
        base_url=settings.github_api_url,
        token=settings.github_token.get_secret_value(),
        api_version=settings.github_api_version,
        timeout=settings.github_timeout_seconds,
        max_attempts=settings.github_max_attempts,
        max_wait=settings.github_max_wait_seconds,
        sleep=sleep,
    )
    try:
        yield Cycle(
            github=github,
            store=store,
            notifier=make_notifier(settings),
            policy=settings.policy,
            orgs=list(settings.github_orgs),
            dry_run=settings.dry_run,
            clock=clock,
            sleep=sleep,
        )
    finally:
        github.close()
        store.close()
