"""Benchmarks of issues 9 and 21 on the simulator with 100 ms added to every GitHub request.

Run from a checkout with the project's venv, one scenario per process::

    .venv/bin/python scripts/bench_enterprise.py --scenario enterprise --runs 3
    .venv/bin/python scripts/bench_enterprise.py --scenario cancel2000

``enterprise``: one dry-run cycle of an enterprise of 20,000 persons across 5 orgs (every
tenth person also granted by a second org, every fiftieth directly by the enterprise; a
fifth of them idle). ``cancel2000``: one live cycle of an 8,000-seat org in which 2,000
flagged persons are due, so it re-checks and cancels 2,000 seats.

The simulator runs in a child process, so the figures are the reaper's own: wall seconds
of the cycle (real waits included: 100 ms a request, a second between cancels), GitHub
requests by kind, the floor (requests times 100 ms: GitHub asks for serial requests) and
the ratio to it, where the time beyond the floor went (before the first request, between
an answer and the next request, after the last one), and the reaper process's peak
resident memory. The store is migrated before the clock starts, as a deployment's is.
Logs go to stderr; stdout gets one JSON line a run (and the medians with ``--runs``).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench_scan import TOKEN

from reaper.app import open_cycle
from reaper.config.settings import Settings
from reaper.core.domain import Flag, enterprise_scope
from reaper.logs import configure_logging
from reaper.simulator import Simulator
from reaper.store import SqlStore
from reaper.store.engine import open_engine

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

DAY = timedelta(days=1)
LATENCY = 0.1
ORGS = [f"org{n}" for n in range(5)]


def seed_enterprise(sim: Simulator, now: datetime) -> None:
    """20,000 persons across 5 orgs of enterprise ``big``; a fifth idle."""
    sim.add_enterprise("big")
    for org in ORGS:
        sim.add_org(org, enterprise="big")
    for n in range(20_000):
        login = f"user{n:05d}"
        last = now - (90 if n % 5 == 0 else 2) * DAY
        home = ORGS[n % 5]
        sim.add_seat(home, login, created_at=now - 400 * DAY, last_activity_at=last)
        if n % 10 == 1:
            sim.add_seat(
                ORGS[(n + 1) % 5], login, created_at=now - 300 * DAY, last_activity_at=last
            )
        if n % 50 == 3:
            sim.add_seat(enterprise_scope("big"), login, created_at=now - 200 * DAY)


def seed_cancel(sim: Simulator, now: datetime) -> None:
    """One org of 8,000 seats, the first 2,000 idle for 90 days."""
    sim.add_org("acme")
    for n in range(8_000):
        last = now - (90 if n < 2_000 else 1) * DAY
        sim.add_seat("acme", f"user{n:05d}", created_at=now - 400 * DAY, last_activity_at=last)


def serve(scenario: str, conn: Connection) -> None:
    """The child: seed, serve, report what was asked of it when told to stop."""
    now = datetime.now(UTC)
    with Simulator(token=TOKEN, rate_limit=1_000_000) as sim:
        (seed_enterprise if scenario == "enterprise" else seed_cancel)(sim, now)
        sim.reset_records()
        sim.latency = LATENCY
        # The seeded records stay till the end: the collector of the simulator's process
        # need not walk them at every answer (its own time is part of the latency).
        gc.freeze()
        conn.send((sim.github_url, sim.slack_webhook_url))
        while conn.recv() != "stop":
            kinds: dict[str, int] = {}
            times = []
            for r in sim.requests:
                if r.path.startswith(("/orgs/", "/enterprises/")):
                    what = "member" if "/members/" in r.path else r.path.rsplit("/", 1)[-1]
                    kind = f"{r.method} {what}"
                    kinds[kind] = kinds.get(kind, 0) + 1
                    times.append(r.received_at)
            sim.reset_records()
            conn.send((kinds, times))


def flags_due(state_url: str, now: datetime) -> None:
    """2,000 flags warned 10 days ago, due 3 days ago."""
    store = SqlStore(state_url)
    warned = now - 10 * DAY
    store.commit(
        add=[
            Flag("acme", f"user{n:05d}", warned, now - 90 * DAY, warned, now - 3 * DAY)
            for n in range(2_000)
        ]
    )
    store.close()


def run_cycle(settings: Settings, conn: Connection) -> dict[str, Any]:
    """One cycle in this process; its figures, the requests' times asked of the simulator."""
    started = time.monotonic()
    with open_cycle(settings) as cycle:
        outcome = cycle.run()
    ended = time.monotonic()
    conn.send("figures")
    kinds, times = conn.recv()
    times.sort()  # time.monotonic() is one clock for both processes
    floor = len(times) * LATENCY
    gaps = [later - earlier - LATENCY for earlier, later in itertools.pairwise(times)]
    totals = outcome.report.totals
    return {
        "seconds": round(ended - started, 2),
        "requests": len(times),
        "floor_seconds": round(floor, 2),
        "ratio": round((ended - started) / floor, 3) if floor else None,
        # Where the time beyond the floor went: before the first request, between an answer
        # and the next request, after the last one. The simulator's own work is inside the
        # latency (it answers a round trip after a request came in, as GitHub does).
        "start_seconds": round(times[0] - started, 2) if times else None,
        "between_seconds": round(sum(gaps), 2),
        "tail_seconds": round(ended - times[-1] - LATENCY, 2) if times else None,
        "by_kind": kinds,
        "persons": totals.persons,
        "grants": totals.seats,
        "flagged": totals.newly_flagged,
        "cancelled": totals.cancelled,
        "ok": outcome.ok,
    }


def main() -> int:
    """Run one scenario (``--runs`` times for ``enterprise``) and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenario", choices=["enterprise", "cancel2000"], required=True)
    parser.add_argument("--runs", type=int, default=1, help="enterprise only: dry runs repeat")
    args = parser.parse_args()
    scenario, runs = args.scenario, args.runs if args.scenario == "enterprise" else 1
    configure_logging(level="WARNING", fmt="json", secrets=[TOKEN])
    parent, child = mp.Pipe()
    server = mp.get_context("fork").Process(target=serve, args=(scenario, child), daemon=True)
    server.start()
    github_url, webhook = parent.recv()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        state_url = f"sqlite:///{Path(tmp) / 'state.db'}"
        # A deployment's store is at the newest schema: migrate it before the clock starts.
        open_engine(state_url, migration_wait=60).dispose()
        values: dict[str, Any] = {
            "github_token": TOKEN,
            "github_api_url": github_url,
            "slack_webhook_url": webhook,
            "state_url": state_url,
            "inactive_days": 60,
            "grace_days": 7,
        }
        if scenario == "enterprise":
            values |= {"github_enterprise": "big", "dry_run": True}
        else:
            flags_due(state_url, datetime.now(UTC))
            values |= {
                "github_orgs": ["acme"],
                "dry_run": False,
                "max_cancellations": 2_000,
                "max_cancellation_percent": 30,
            }
        settings = Settings(**values)
        for _ in range(runs):
            figures = {"scenario": scenario, **run_cycle(settings, parent)}
            figures["peak_rss_mb"] = round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
            )
            print(json.dumps(figures), flush=True)  # noqa: T201  (the benchmark's output)
            results.append(figures)
    parent.send("stop")
    server.join(timeout=10)
    if len(results) > 1:
        keys = ("seconds", "floor_seconds", "ratio", "between_seconds")
        medians = {
            k: statistics.median(r[k] for r in results)
            for k in (*keys, "start_seconds", "tail_seconds")
        }
        print(json.dumps({"median_of": len(results), "scenario": scenario, **medians}))  # noqa: T201
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
