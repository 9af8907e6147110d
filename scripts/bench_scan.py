"""Benchmarks of issue 21: one dry-run ``reaper once`` of a big org, as a whole process.

Run from a checkout with the project's venv::

    .venv/bin/python scripts/bench_scan.py --seats 100000 --latency 0.1
    .venv/bin/python scripts/bench_scan.py --seats 1000 --latency 0.1 --runs 3

The simulator (with ``--latency`` seconds added to every GitHub request) runs in this
process; the reaper runs as ``python -m reaper once`` in a child process, dry run, so its
peak resident memory (``ru_maxrss`` of the child) is the reaper's alone. The floor is the
GitHub requests times the latency: GitHub asks for serial requests, so no read can beat it.
Each run prints one JSON line: requests, wall seconds, floor, ratio, peak RSS; with
``--runs`` above one, a last line holds the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from reaper.simulator import Simulator

TOKEN = "ghp_bench_not_a_secret"  # noqa: S105  (the simulator's made-up token)
DAY = timedelta(days=1)


def seed(sim: Simulator, seats: int, now: datetime) -> None:
    """``seats`` seats in org ``acme``; a fifth of them idle for 90 days."""
    sim.add_org("acme")
    for n in range(seats):
        last = now - (90 if n % 5 == 0 else 2) * DAY
        sim.add_seat("acme", f"user{n:06d}", created_at=now - 400 * DAY, last_activity_at=last)


def run_once(sim: Simulator, latency: float, command: list[str]) -> dict[str, Any]:
    """One ``reaper once`` in a child process against ``sim``; its figures."""
    sim.reset_records()
    sim.latency = latency
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "REAPER_GITHUB_TOKEN": TOKEN,
            "REAPER_GITHUB_API_URL": sim.github_url,
            "REAPER_GITHUB_ORGS": "acme",
            "REAPER_SLACK_WEBHOOK_URL": sim.slack_webhook_url,
            "REAPER_STATE_URL": f"sqlite:///{Path(tmp) / 'state.db'}",
            "REAPER_SECRETS_DIR": str(Path(tmp) / "no-secrets"),
            "REAPER_LOG_LEVEL": "WARNING",
            "REAPER_LOG_FORMAT": "json",
        }
        started = time.monotonic()
        child = subprocess.Popen(  # noqa: S603  (our own interpreter and module)
            [sys.executable, "-m", "reaper", *command],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.monotonic() - started
    github = [r for r in sim.requests if not r.path.startswith("/slack/")]
    floor = len(github) * latency
    return {
        "command": " ".join(command),
        "exit": os.waitstatus_to_exitcode(status),
        "requests": len(github),
        "seconds": round(seconds, 2),
        "floor_seconds": round(floor, 2),
        "ratio": round(seconds / floor, 3) if floor else None,
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }


def main() -> int:
    """Seed once, run the reaper ``--runs`` times, print each run and the medians."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seats", type=int, default=100_000)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--command", default="once", help="the verb to run, e.g. once, report")
    args = parser.parse_args()
    now = datetime.now(UTC)
    runs: list[dict[str, Any]] = []
    with Simulator(token=TOKEN, rate_limit=1_000_000) as sim:
        seed(sim, args.seats, now)
        for _ in range(args.runs):
            figures = run_once(sim, args.latency, args.command.split())
            figures["seats"] = args.seats
            print(json.dumps(figures), flush=True)  # noqa: T201  (the benchmark's output)
            runs.append(figures)
    if len(runs) > 1:
        medians = {
            key: statistics.median(run[key] for run in runs)
            for key in ("requests", "seconds", "floor_seconds", "ratio", "peak_rss_mb")
        }
        print(json.dumps({"median_of": len(runs), "seats": args.seats, **medians}))  # noqa: T201
    return 0 if all(run["exit"] == 0 for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
