"""``reaper run``: the long-running service, one cycle per cron slot, never two at once.

Beside the scheduler it serves ``/healthz`` (the scheduler is running and no cycle has run
longer than ``REAPER_CYCLE_TIMEOUT_SECONDS``), ``/readyz`` (the state store answers) and
``/metrics`` on ``REAPER_HTTP_PORT``; see ``reaper.service.web`` and ``reaper.metrics``.

With ``REAPER_SLACK_APP_TOKEN`` it also keeps Slack's Socket Mode link open for the buttons
(``reaper.desk.socket``), in the background: the link never holds up or stops a cycle.

SIGTERM or SIGINT (``Terminated``, raised by the handler ``reaper.cli`` installs) stops it
at any moment, before, during or after the scheduler's start: a running cycle is finished
first, the Socket Mode link is closed, and the service exits 0.
"""

from __future__ import annotations

import contextlib
import select
import signal
import socket
import threading
import time
from typing import TYPE_CHECKING

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING, STATE_STOPPED

from reaper.app import open_cycle, utc_now
from reaper.app.checks import github_checks
from reaper.config.checks import cron_trigger
from reaper.desk.socket import SocketLink
from reaper.errors import ReaperError, Terminated
from reaper.logs import get_logger
from reaper.metrics import Metrics
from reaper.report import Prices
from reaper.service.web import HealthServer
from reaper.store import SqlStore

if TYPE_CHECKING:
    from collections.abc import Callable

    from reaper.config.settings import Settings
    from reaper.cycle.orchestrator import CycleOutcome
    from reaper.github import GitHubClient

log = get_logger(__name__)

MISFIRE_GRACE_SECONDS = 3600
WAKE_SECONDS = 1.0  # the main thread looks for a stop signal at least this often


class CycleWatch:
    """Knows whether a cycle is running and since when, for ``/healthz``.

    A cycle running longer than ``timeout`` seconds makes the service unhealthy, so that
    Kubernetes restarts a pod whose cycle is stuck; it is healthy again once no cycle overruns.
    """

    def __init__(self, timeout: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._since: float | None = None
        self._reported = False

    def started(self) -> None:
        """A cycle begins now."""
        with self._lock:
            self._since, self._reported = self._clock(), False

    def finished(self) -> None:
        """The running cycle is over, however it ended."""
        with self._lock:
            self._since = None

    def overrun(self) -> str | None:
        """``None`` unless the running cycle is past its timeout; then why it is unhealthy."""
        with self._lock:
            if self._since is None:
                return None
            running = self._clock() - self._since
            if running <= self._timeout:
                return None
            if not self._reported:
                self._reported = True
                log.error(
                    "cycle.overrunning", running_seconds=round(running), timeout=self._timeout
                )
        return (
            f"cycle running for {running:.0f}s, longer than "
            f"REAPER_CYCLE_TIMEOUT_SECONDS={self._timeout:g}"
        )


def run_one_cycle(
    settings: Settings, metrics: Metrics | None = None, watch: CycleWatch | None = None
) -> bool:
    """Run one cycle and contain its failure, so the service lives on to the next slot.

    With ``metrics``, the cycle is recorded there: its outcome, or ``error`` when it raised.
    With ``watch``, the cycle's start and end are recorded there for ``/healthz``.
    """
    started = time.monotonic()
    outcome: CycleOutcome | None = None
    github: GitHubClient | None = None
    if watch is not None:
        watch.started()
    try:
        with open_cycle(settings) as cycle:
            github = cycle.github
            outcome = cycle.run()
    except ReaperError as exc:
        log.error("cycle.failed", error=str(exc))
    except Exception as exc:  # noqa: BLE001  (the service must survive any one cycle)
        log.error("cycle.crashed", error=type(exc).__name__, detail=str(exc)[:300])
    finally:
        if watch is not None:
            watch.finished()
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
    scheduler = BackgroundScheduler(timezone="UTC")
    trigger = cron_trigger(settings.schedule)  # weekdays numbered as cron numbers them
    metrics = Metrics(
        dry_run=settings.dry_run,
        prices=Prices(settings.price_business, settings.price_enterprise),
    )
    store_probe = StoreProbe(settings.state_url)
    watch = CycleWatch(settings.cycle_timeout_seconds)

    def live() -> str | None:
        if scheduler.state != STATE_RUNNING:
            return "scheduler not running"
        return watch.overrun()

    http: HealthServer | None = None
    link: SocketLink | None = None
    try:
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
            args=[settings, metrics, watch],
            id="cycle",
            max_instances=1,  # never two cycles at once
            coalesce=True,  # missed slots run once, not once each
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
            # one job either way, so a first cycle at start-up never overlaps a scheduled one
            next_run_time=now if settings.run_on_start else trigger.get_next_fire_time(None, now),
        )
        http.start()
        if settings.slack_app_token is not None:
            link = SocketLink(settings, metrics=metrics)
            link.start()  # in the background: Slack being away never holds up the scheduler
        for ok, detail in github_checks(settings):
            (log.info if ok else log.error)("service.preflight", ok=ok, detail=detail)
        log.info("service.started", schedule=settings.schedule, next_cycle=str(job.next_run_time))
        scheduler.start()
        _wait_for_stop(scheduler)  # a stop signal raises Terminated here
    except Terminated as stop:
        log.info("service.stopping", signal=signal.Signals(stop.signum).name)
        if scheduler.state != STATE_STOPPED:
            scheduler.shutdown(wait=True)  # lets a running cycle finish
    finally:
        if link is not None:
            link.close()
        if http is not None:
            http.stop()
        store_probe.close()
    log.info("service.stopped")
    return 0


def _wait_for_stop(scheduler: BackgroundScheduler) -> None:
    """Keep the main thread until a stop signal raises ``Terminated`` in it.

    The kernel may hand a signal to any thread, but Python runs handlers only in the main
    thread, once it runs again: a thread blocked in a long wait could sleep through SIGTERM.
    Waiting on the signal wakeup fd (with a short timeout besides) wakes it whichever thread
    caught the signal.
    """
    reader, writer = socket.socketpair()
    reader.setblocking(False)  # noqa: FBT003  (the stdlib signature)
    writer.setblocking(False)  # noqa: FBT003
    previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    try:
        while scheduler.state != STATE_STOPPED:
            select.select([reader], [], [], WAKE_SECONDS)
            with contextlib.suppress(BlockingIOError):
                reader.recv(512)
    finally:
        signal.set_wakeup_fd(previous)
        reader.close()
        writer.close()
