"""``reaper run``: the long-running service, one cycle per cron slot, never two at once."""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from reaper.app import open_cycle, utc_now
from reaper.errors import ReaperError
from reaper.logs import get_logger

if TYPE_CHECKING:
    from types import FrameType

    from reaper.settings import Settings

log = get_logger(__name__)

MISFIRE_GRACE_SECONDS = 3600


def run_one_cycle(settings: Settings) -> bool:
    """Run one cycle and contain its failure, so the service lives on to the next slot."""
    try:
        with open_cycle(settings) as cycle:
            return cycle.run().ok
    except ReaperError as exc:
        log.error("cycle.failed", error=str(exc))
    except Exception as exc:  # noqa: BLE001  (the service must survive any one cycle)
        log.error("cycle.crashed", error=type(exc).__name__, detail=str(exc)[:300])
    return False


def serve(settings: Settings) -> int:
    """Run cycles on ``REAPER_SCHEDULE`` (UTC) until SIGTERM or SIGINT."""
    scheduler = BlockingScheduler(timezone="UTC")
    trigger = CronTrigger.from_crontab(settings.schedule, timezone="UTC")
    now = utc_now()
    job = scheduler.add_job(
        run_one_cycle,
        trigger,
        args=[settings],
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
    log.info("service.started", schedule=settings.schedule, next_cycle=str(job.next_run_time))
    scheduler.start()
    log.info("service.stopped")
    return 0
