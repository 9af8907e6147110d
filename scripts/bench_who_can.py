"""Benchmark of issue 17's "who can" report: what naming the teams holding idle people costs.

Run from a checkout with the project's venv::

    .venv/bin/python scripts/bench_who_can.py --seats 8000 --held 2000 --teams 20 --runs 3

Org ``acme`` has ``--seats`` seats; ``--held`` idle people hold theirs through team
``eng-all`` (kept in sync with an IdP group) and ten more idle people through each of
``--teams`` other teams (none named in REAPER_RECLAIM_TEAMS), every one of them due, so all
need a person. ``reaper report --format json`` (a dry-run cycle) runs as a whole child
process; the simulator adds ``--latency`` seconds to each GitHub request. The floor is the
requests times the latency (GitHub's reads are serial); ``team_requests`` are the who-can
reads, which grow with the teams holding idle people, never with the people.
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

from reaper.core.domain import Flag
from reaper.simulator import Simulator
from reaper.store import SqlStore

TOKEN = "ghp_bench_not_a_secret"  # noqa: S105  (the simulator's made-up token)
DAY = timedelta(days=1)
GROUP = {"group_id": "111a", "group_name": "Engineering", "group_description": "all"}


def seed(sim: Simulator, args: argparse.Namespace, now: datetime) -> list[str]:
    """The org, its teams and seats; the logins of the idle people held by teams."""
    sim.add_org("acme")
    held: list[str] = []
    teams = [("eng-all", args.held)] + [(f"team{n:03d}", 10) for n in range(args.teams)]
    for slug, people in teams:
        team = sim.add_team(slug, org="acme", sync_groups=[GROUP] if slug == "eng-all" else None)
        for n in range(people):
            login = f"{slug}-{n:05d}"
            team.add_member(login)
            sim.add_seat(
                "acme",
                login,
                team=slug,
                created_at=now - 400 * DAY,
                last_activity_at=now - 90 * DAY,
            )
            held.append(login)
    for n in range(args.seats - len(held)):
        sim.add_seat(
            "acme", f"user{n:06d}", created_at=now - 400 * DAY, last_activity_at=now - 2 * DAY
        )
    return held


def run_once(sim: Simulator, latency: float, held: list[str], now: datetime) -> dict[str, Any]:
    """One ``reaper report`` in a child process, the held people flagged and due."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'state.db'}"
        store = SqlStore(url)
        at = now - 40 * DAY
        store.commit(add=[Flag("acme", login, at, at, at, at + 7 * DAY) for login in held])
        store.close()
        sim.reset_records()
        sim.latency = latency
        env = {
            "PATH": os.environ.get("PATH", ""),
            "REAPER_GITHUB_TOKEN": TOKEN,
            "REAPER_GITHUB_API_URL": sim.github_url,
            "REAPER_GITHUB_ORGS": "acme",
            "REAPER_STATE_URL": url,
            "REAPER_SECRETS_DIR": str(Path(tmp) / "no-secrets"),
            "REAPER_LOG_LEVEL": "WARNING",
            "REAPER_LOG_FORMAT": "json",
        }
        started = time.monotonic()
        with (Path(tmp) / "report.json").open("wb") as sink:
            child = subprocess.Popen(
                [sys.executable, "-m", "reaper", "report", "--format", "json"],
                env=env,
                stdout=sink,
                stderr=subprocess.DEVNULL,
            )
            _, status, usage = os.wait4(child.pid, 0)
        seconds = time.monotonic() - started
        out = (Path(tmp) / "report.json").read_text()
    github = [r for r in sim.requests if not r.path.startswith("/slack/")]
    teams = [r for r in github if "/teams/" in r.path]
    groups = json.loads(out)["who_can"] if out else []
    floor = len(github) * latency
    return {
        "exit": os.waitstatus_to_exitcode(status),
        "requests": len(github),
        "team_requests": len(teams),
        "groups": len(groups),
        "held_people": sum(g["people"] for g in groups),
        "seconds": round(seconds, 2),
        "floor_seconds": round(floor, 2),
        "ratio": round(seconds / floor, 3) if floor else None,
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }


def main() -> int:
    """Seed once, run ``--runs`` times, print each run and the medians."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seats", type=int, default=8000)
    parser.add_argument("--held", type=int, default=2000)
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    now = datetime.now(UTC)
    runs: list[dict[str, Any]] = []
    with Simulator(token=TOKEN, rate_limit=1_000_000) as sim:
        held = seed(sim, args, now)
        for _ in range(args.runs):
            figures = run_once(sim, args.latency, held, now)
            print(json.dumps(figures), flush=True)  # noqa: T201  (the benchmark's output)
            runs.append(figures)
    if len(runs) > 1:
        keys = ("requests", "team_requests", "seconds", "floor_seconds", "ratio")
        medians = {key: statistics.median(run[key] for run in runs) for key in keys}
        print(json.dumps({"median_of": len(runs), **medians}))  # noqa: T201
    return 0 if all(run["exit"] == 0 for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
