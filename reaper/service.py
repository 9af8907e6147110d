"""``reaper run``: the long-running service, one cycle per cron slot, never two at once.

Beside the scheduler it serves ``/healthz`` (the scheduler is running), ``/readyz`` (the
state store answers) and ``/metrics`` on ``REAPER_HTTP_PORT``; see ``reaper.web`` and
``reaper.metrics``.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import TYPE_CHECKING

from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.schedulers.blocking import BlockingScheduler

from reaper.app import open_cycle, utc_now
from reaper.check import github_checks
from reaper.config_checks import cron_trigger
from reaper.errors import ReaperError
from reaper.logs import get_logger
from reaper.metrics import Metrics
from reaper.store import SqlStore
from reaper.web import HealthServer

if TYPE_CHECKING:
    from types import FrameType

    from reaper.cycle import CycleOutcome
    from reaper.github import GitHubClient
    from reaper.settings import Settings

log = get_logger(__name__)

MISFIRE_GRACE_SECONDS = 3600


def run_one_cycle(settings: Settings, metrics: Metrics | None = None) -> bool:
    """Run one cycle and contain its failure, so the service lives on to the next slot.

    With ``metrics``, the cycle is recorded there: its outcome, or ``error`` when it raised.
    """
    started = time.monotonic()
    outcome: CycleOutcome | None = None
    github: GitHubClient | None = None
    try:
        with open_cycle(settings) as cycle:
            github = cycle.github
            outcome = cycle.run()
    except ReaperError as exc:
        log.error("cycle.failed", error=str(exc))
    except Exception as exc:  # noqa: BLE001  (the service must survive any one cycle)
        log.error("cycle.crashed", error=type(exc).__name__, detail=str(exc)[:300])
    if metrics is not None:
        metrics.record_cycle(outcome, time.monotonic() - started, github)
    return outcome is not None and outcome.ok


class StoreProbe:
    """Readiness: the state store answers. Opens the store lazily and keeps it open."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._store: SqlStore | None = None
        self._lock = threading.Lock()

    def __call__(self) -> str | None:
        """Return ``None`` when the store answers a query, else why not."""
        with self._lock:  # one probe at a time: a slow database is not hammered
            try:
                if self._store is None:
                    self._store = SqlStore(self._url)
                self._store.ping()
            except ReaperError as exc:
                return f"state store not reachable: {exc}"
        return None

    def close(self) -> None:
        """Release the store's connections."""
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


def serve(settings: Settings) -> int:
    """Run cycles on ``REAPER_SCHEDULE`` (UTC) until SIGTERM or SIGINT."""
    scheduler = BlockingScheduler(timezone="UTC")
    trigger = cron_trigger(settings.schedule)  # weekdays numbered as cron numbers them
    metrics = Metrics(dry_run=settings.dry_run)
    store_probe = StoreProbe(settings.state_url)

    def live() -> str | None:
        return None if scheduler.state == STATE_RUNNING else "scheduler not running"

    try:
        http = HealthServer(
            port=settings.http_port, live=live, ready=store_probe, metrics=metrics.render
        )
    except OSError as exc:
        log.error("service.http_port_unavailable", port=settings.http_port, error=str(exc))
        return 1
    now = utc_now()
    job = scheduler.add_job(
        run_one_cycle,
        trigger,
        args=[settings, metrics],
        id="cycle",
        max_instances=1,  # never two cycles at once
        coalesce=True,  # missed slots run once, not once each
        misfire_grace_time=MISFIRE_GRACE_SECONDS,
        # one job either way, so a first cycle at start-up never overlaps a scheduled one
        next_run_time=now if settings.run_on_start else trigger.get_next_fire_time(None, now),
    )

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("service.stopping", signal=signal.Signals(signum).name)
        scheduler.shutdown(wait=True)  # lets a running cycle finish

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    http.start()
    for ok, detail in github_checks(settings):
        (log.info if ok else log.error)("service.preflight", ok=ok, detail=detail)
    try:
        log.info("service.started", schedule=settings.schedule, next_cycle=str(job.next_run_time))
        scheduler.start()
    finally:
        http.stop()
        store_probe.close()
    log.info("service.stopped")
    return 0
