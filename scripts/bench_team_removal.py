"""Benchmark of issue 17: a live cycle that removes 2,000 due persons from one team.

Run from a checkout with the project's venv::

    .venv/bin/python scripts/bench_team_removal.py

An 8,000-seat org ``acme``: 2,000 seats granted through team ``copilot-users`` (named in
``REAPER_RECLAIM_TEAMS``, nothing refuses it), idle for 90 days, each with a flag warned ten
days ago and due three days ago; 6,000 direct seats in use. The simulator runs in a child
process and adds 100 ms to every GitHub request.

GitHub's writes must be a second apart: 2,000 removals take at least 2,000 s, which no
benchmark should sit through. So the reaper runs on a clock that is real time plus every
wait it asked for, and its waits are added to that clock instead of slept: each pause is
exactly as long as a real run's would be, and the cycle's time is its wall time plus its
waits. Everything else (the 100 ms of every request, the reaper's own work) is real.

The floor is what the requests cost at the least: every read at 100 ms, plus one removal a
second. stdout gets one JSON line: requests by kind, seconds (wall, waits, total), the
floor, the ratio, and the reaper process's peak resident memory.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from reaper.app import open_cycle
from reaper.config.settings import Settings
from reaper.core.domain import Flag
from reaper.logs import configure_logging
from reaper.simulator import Simulator
from reaper.store import SqlStore

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

TOKEN = "ghp_bench_not_a_secret"  # noqa: S105  (the simulator's made-up token)
DAY = timedelta(days=1)
LATENCY = 0.1
SEATS, DUE = 8_000, 2_000
TEAM = "copilot-users"


@dataclass
class WaitingClock:
    """Real time plus every wait asked for; ``sleep`` adds to it instead of sleeping."""

    waited: float = 0.0

    def __call__(self) -> datetime:
        """Now, as a run that really waited would see it."""
        return datetime.now(UTC) + timedelta(seconds=self.waited)

    def sleep(self, seconds: float) -> None:
        """Count the wait; the clock moves on by it."""
        self.waited += max(0.0, seconds)


def serve(conn: Connection) -> None:
    """The child: seed the org and the team, serve, report the requests when told to stop."""
    now = datetime.now(UTC)
    with Simulator(token=TOKEN, rate_limit=1_000_000) as sim:
        sim.add_org("acme")
        team = sim.add_team(TEAM, org="acme")
        for n in range(SEATS):
            login = f"user{n:05d}"
            if n < DUE:
                team.add_member(login)
                sim.add_seat(
                    "acme",
                    login,
                    created_at=now - 400 * DAY,
                    last_activity_at=now - 90 * DAY,
                    team=TEAM,
                )
            else:
                sim.add_seat("acme", login, created_at=now - 400 * DAY, last_activity_at=now - DAY)
        sim.reset_records()
        sim.latency = LATENCY
        conn.send((sim.github_url, sim.slack_webhook_url))
        conn.recv()
        kinds: dict[str, int] = {}
        for r in sim.requests:
            if r.path.startswith("/orgs/"):
                what = "membership" if "/memberships/" in r.path else r.path.rsplit("/", 1)[-1]
                if "/members/" in r.path and "/teams/" not in r.path:
                    what = "member seat"
                kind = f"{r.method} {what}"
                kinds[kind] = kinds.get(kind, 0) + 1
        conn.send(kinds)


def flags_due(state_url: str, now: datetime) -> None:
    """2,000 flags warned ten days ago, due three days ago."""
    store = SqlStore(state_url)
    warned = now - 10 * DAY
    store.commit(
        add=[
            Flag("acme", f"user{n:05d}", warned, now - 90 * DAY, warned, now - 3 * DAY)
            for n in range(DUE)
        ]
    )
    store.close()


def main() -> int:
    """Run the cycle and print its figures."""
    process_started = time.monotonic()
    configure_logging(level="WARNING", fmt="json", secrets=[TOKEN])
    parent, child = mp.Pipe()
    server = mp.get_context("fork").Process(target=serve, args=(child,), daemon=True)
    server.start()
    github_url, webhook = parent.recv()
    clock = WaitingClock()
    with tempfile.TemporaryDirectory() as tmp:
        state_url = f"sqlite:///{Path(tmp) / 'state.db'}"
        flags_due(state_url, clock())
        settings = Settings(
            github_token=TOKEN,
            github_api_url=github_url,
            slack_webhook_url=webhook,
            state_url=state_url,
            github_orgs=["acme"],
            inactive_days=60,
            grace_days=7,
            dry_run=False,
            max_cancellations=DUE,
            max_cancellation_percent=30,
            reclaim_teams=[f"acme/{TEAM}"],
            cycle_timeout_seconds=7_200,
        )
        started = time.monotonic()
        with open_cycle(settings, clock=clock, sleep=clock.sleep) as cycle:
            outcome = cycle.run()
        wall = time.monotonic() - started
    parent.send("stop")
    kinds = parent.recv()
    server.join(timeout=10)
    removals = kinds.get("DELETE membership", 0)
    reads = sum(count for kind, count in kinds.items() if kind.startswith("GET"))
    floor = reads * LATENCY + removals * 1.0
    total = wall + clock.waited
    totals = outcome.report.totals
    print(  # noqa: T201  (the benchmark's one line)
        json.dumps(
            {
                "requests": sum(kinds.values()),
                "by_kind": kinds,
                "reads": reads,
                "removals": removals,
                "wall_seconds": round(wall, 1),
                "waited_seconds": round(clock.waited, 1),
                "seconds": round(total, 1),
                "floor_seconds": round(floor, 1),
                "ratio": round(total / floor, 3) if floor else None,
                "process_seconds": round(time.monotonic() - process_started, 1),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "cancelled": totals.cancelled,
                "needs_person": totals.needs_person,
                "ok": outcome.ok,
            }
        )
    )
    return 0 if outcome.ok and totals.cancelled == DUE else 1


if __name__ == "__main__":
    sys.exit(main())
