"""Wiring: build the adapters and the cycle from settings. The one place the real clock is read."""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from reaper.app.github_auth import app_auth, classic_token
from reaper.app.identities import identify_for
from reaper.cycle.orchestrator import Cycle
from reaper.cycle.teams import TeamSettings
from reaper.cycle.timing import CycleTiming
from reaper.cycle.usage import UsageCheck
from reaper.cycle.who_can import WhoCan
from reaper.github import GitHubClient
from reaper.report.summary import Prices
from reaper.slack import make_notifier
from reaper.store import SqlStore, default_holder

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from reaper.config.settings import Settings
    from reaper.slack import Notifier


def utc_now() -> datetime:
    """Return the current time, timezone-aware UTC."""
    return datetime.now(UTC)


def github_client(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    sleep: Callable[[float], None] = time.sleep,
    max_attempts: int | None = None,
    max_wait: float | None = None,
) -> GitHubClient:
    """The GitHub adapter as the settings describe it (close it after use).

    ``max_attempts`` and ``max_wait`` lower the settings' retry bounds (``reaper check``
    answers quickly rather than waiting out a rate limit).
    """
    attempts, wait = settings.github_max_attempts, settings.github_max_wait_seconds
    return GitHubClient(
        base_url=settings.github_api_url,
        token=classic_token(settings),
        auth=app_auth(settings, clock),
        api_version=settings.github_api_version,
        timeout=settings.github_timeout_seconds,
        max_attempts=min(attempts, max_attempts) if max_attempts else attempts,
        max_wait=min(wait, max_wait) if max_wait is not None else wait,
        rate_limit_reserve=settings.github_rate_limit_reserve,
        sleep=sleep,
        clock=clock,
    )


@contextmanager
def open_cycle(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    sleep: Callable[[float], None] = time.sleep,
    notifier: Notifier | None = None,
    dry_run: bool | None = None,
    exclusive: bool = True,
) -> Iterator[Cycle]:
    """Open the adapters for one cycle and close them afterwards.

    ``notifier`` replaces the delivery the settings choose (``reaper report`` captures
    instead of posting); ``dry_run=True`` forces a read-only cycle whatever the settings say;
    ``exclusive=False`` runs without the store's lock (for a cycle that writes and posts
    nothing). The state store is opened by the cycle itself, so a store that is down is
    reported like any other failure.
    """
    github = github_client(settings, clock=clock, sleep=sleep)
    try:
        yield Cycle(
            github=github,
            open_store=lambda: SqlStore(settings.state_url),
            notifier=notifier
            or make_notifier(settings, sleep=sleep, identify=identify_for(settings, clock, sleep)),
            policy=settings.policy,
            orgs=list(settings.github_orgs),
            enterprise=settings.github_enterprise,
            token=classic_token(settings),
            rate_limit_reserve=settings.github_rate_limit_reserve,
            dry_run=settings.dry_run if dry_run is None else dry_run,
            clock=clock,
            max_cancellations=settings.max_cancellations,
            max_cancellation_percent=settings.max_cancellation_percent,
            max_forget_percent=settings.max_forget_percent,
            timeout=settings.cycle_timeout_seconds,
            holder=default_holder(),
            exclusive=exclusive,
            timing=CycleTiming(
                settings.cancel_timing,
                settings.schedule,
                settings.billing_cycle_day,
                settings.cycle_margin_days,
            ),
            usage=UsageCheck(
                settings.usage_report,
                settings.light_use_days,
                settings.github_timeout_seconds,
                Prices(settings.price_business, settings.price_enterprise),
            ),
            sleep=sleep,
            who_can=WhoCan(
                tuple(settings.reclaim_team_refs),
                settings.reclaim_team_maintainers,
                settings.github_enterprise,
            ),
            teams=TeamSettings(
                tuple(settings.reclaim_team_refs), settings.reclaim_team_maintainers
            ),
        )
    finally:
        github.close()
