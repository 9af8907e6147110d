"""Cost of issue 8's re-reads: one live cycle over a 5,000-seat org in the simulator.

Run from a checkout with the project's venv, one scenario per process::

    .tools/uv/bin/uv run --frozen python scripts/bench_rereads.py --scenario steady

Scenarios: ``steady`` (nothing special), ``missing50`` (50 flagged users' seats gone before
the cycle), ``changed_once`` (a seat assigned once while the first page of the list is
served), ``removed_once`` (an active seat at the head of the list taken away at that point,
which shifts the later pages). Org ``acme`` holds 5,000 seats, 1,250 of them idle and
flagged, warned but not yet due, in a fresh SQLite file. The cycle runs in-process through
``reaper.app.open_cycle``; waits the code asks for are recorded, not slept, and printed as
``waited_s`` (production sleeps them). The script uses only what the reaper had before
issue 8 too, so the same file measures both versions. Logs go to stderr; stdout gets one
JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
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
    from reaper.simulator import RecordedRequest

ORG = "acme"
SEATS = 5_000
IDLE = 1_250
MISSING = 50
TOKEN = "ghp_bench"  # noqa: S105  (the simulator's made-up token)
DAY = timedelta(days=1)
SCENARIOS = ("steady", "missing50", "changed_once", "removed_once")


def login(i: int) -> str:
    """The i-th seat holder: the first IDLE are idle and flagged, the rest active."""
    return f"idle-{i:05d}" if i < IDLE else f"user-{i:05d}"


def seed(sim: Simulator, state_url: str, now: datetime) -> None:
    """Fill the org with seats and store a warned, not yet due flag for each idle one."""
    sim.add_org(ORG)
    flags = []
    for i in range(SEATS):
        idle = i < IDLE
        last = now - (90 if idle else 1) * DAY  # the default limit is 60 days
        sim.add_seat(ORG, login(i), created_at=now - 400 * DAY, last_activity_at=last)
        if idle:
            warned = now - DAY
            flags.append(Flag(ORG, login(i), now - 2 * DAY, last, warned, warned + 14 * DAY))
    store = SqlStore(state_url)
    try:
        store.commit(add=flags)
    finally:
        store.close()


def change_mid_scan(sim: Simulator, scenario: str) -> None:
    """Change the seat list once, while its first page is being served."""
    done: list[bool] = []

    def hook(request: RecordedRequest) -> None:
        if done or not request.path.endswith("/seats") or "page" in request.query:
            return
        done.append(True)
        if scenario == "changed_once":
            sim.add_seat(ORG, "newcomer", last_activity_at=None)
        else:  # removed_once: the first active seat, near the head of the list
            sim.remove_seat(ORG, login(IDLE))

    sim.after_request = hook


def kind(request: RecordedRequest) -> str:
    """Name what a GitHub request was for."""
    if request.method == "DELETE":
        return "deletes"
    if request.path.endswith("/seats"):
        return "list_pages"
    if "/members/" in request.path:
        return "member_rereads"
    if request.path.endswith("/copilot/billing"):
        return "billing"
    return "other"


def main() -> None:
    """Seed, run one live cycle, print the figures as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=SCENARIOS, required=True)
    scenario = parser.parse_args().scenario
    configure_logging(level="INFO", fmt="json", stream=sys.stderr)
    now = datetime.now(UTC).replace(microsecond=0)
    waits: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, Simulator(token=TOKEN) as sim:
        state_url = f"sqlite:///{Path(tmp) / 'state.db'}"
        seed(sim, state_url, now)
        if scenario == "missing50":
            for i in range(MISSING):
                sim.remove_seat(ORG, login(i))
        elif scenario in {"changed_once", "removed_once"}:
            change_mid_scan(sim, scenario)
        settings = Settings(
            github_token=TOKEN,
            github_api_url=sim.github_url,
            github_orgs=[ORG],
            dry_run=False,
            state_url=state_url,
            max_cancellation_percent=100,
            slack_webhook_url=sim.slack_webhook_url,
        )
        sim.reset_records()
        with open_cycle(settings, sleep=waits.append) as cycle:
            start = time.perf_counter()
            outcome = cycle.run()
            seconds = time.perf_counter() - start
        github = [r for r in sim.requests if not r.path.startswith("/slack/")]
    sys.stdout.write(
        json.dumps(
            {
                "scenario": scenario,
                "github_requests": len(github),
                "by_kind": dict(sorted(Counter(kind(r) for r in github).items())),
                "cycle_s": round(seconds, 3),
                "waited_s": sum(waits),
                "ok": outcome.ok,
                "failed_orgs": [o.org for o in outcome.report.orgs if o.failed],
            }
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
