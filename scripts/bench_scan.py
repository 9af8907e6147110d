"""Benchmarks of issue 21: one dry-run ``reaper once`` of a big org, as a whole process.

Run from a checkout with the project's venv, one command each::

    .venv/bin/python scripts/bench_scan.py --seats 100000 --latency 0.1 --runs 3
    .venv/bin/python scripts/bench_scan.py --seats 1000 --latency 0.1 --runs 3

The simulator (answering every GitHub request ``--latency`` seconds after it came in, its
own work included, as GitHub's is in a real round trip) runs in its own process, started
before anything heavy is imported here; the reaper runs as
``python -m reaper once`` in a child process, dry run, on a state store already at the
newest schema (as a deployment's is: the first start also migrates, which loads alembic).
The driver itself stays small because Linux counts the parent's pages at ``fork`` in the
child's peak (``ru_maxrss`` survives ``exec``): a big driver would inflate the figure.

The floor is the GitHub requests times the latency: GitHub asks for serial requests, so no
read can beat it. Each run prints one JSON line: requests, wall seconds, floor, ratio, peak
RSS (``ru_maxrss`` of the child), and where the time beyond the floor went (start-up to the
first request, the gaps between an answer and the next request, the last answer to the
exit); with ``--runs`` above one, a last line holds the medians.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

FIGURES = ("requests", "seconds", "floor_seconds", "ratio", "peak_rss_mb")
FIGURES += ("start_seconds", "between_seconds", "tail_seconds")
TOKEN = "ghp_bench_not_a_secret"  # noqa: S105  (the simulator's made-up token)


def login(n: int) -> str:
    """The login of the ``n``-th seat."""
    return f"user{n:06d}"


def serve(seats: int, latency: float, conn: Connection) -> None:
    """The simulator's process: seed ``acme``, then answer ``count``/``stop`` on ``conn``."""
    from datetime import UTC, datetime, timedelta  # noqa: PLC0415  (the child's imports)

    from reaper.simulator import Simulator  # noqa: PLC0415

    day = timedelta(days=1)
    now = datetime.now(UTC)
    with Simulator(token=TOKEN, rate_limit=1_000_000) as sim:
        sim.add_org("acme")
        # add_seat checks for a duplicate by walking the list (quadratic for 100,000 seats):
        # the first idle and the first busy seat are made by it, the rest are their copies,
        # each with its own login (in every URL) and id.
        templates = {}
        for n in range(min(seats, 2)):
            at = now - (90 if n % 5 == 0 else 2) * day
            record = sim.add_seat("acme", login(n), created_at=now - 400 * day, last_activity_at=at)
            templates[n % 5 == 0] = json.dumps(record)
        for n in range(2, seats):  # a fifth of them idle for 90 days
            idle = n % 5 == 0
            record = json.loads(templates[idle].replace(login(0 if idle else 1), login(n)))
            record["assignee"]["id"] = 10_000_000 + n
            sim.add_raw_seat("acme", record)
        sim.latency = latency
        # The seeded records stay till the end: the collector of the simulator's process
        # need not walk them at every answer (its own time is part of the latency).
        gc.freeze()
        conn.send((sim.github_url, sim.slack_webhook_url))
        while (order := conn.recv()) != "stop":
            if order == "reset":
                sim.reset_records()
            conn.send([r.received_at for r in sim.requests if not r.path.startswith("/slack/")])
        conn.send(0)


def migrate(state_url: str) -> None:
    """Bring the store to the newest schema in a throwaway process (keeps this one small)."""
    code = "import sys; from reaper.store.engine import open_engine; "
    code += "open_engine(sys.argv[1], migration_wait=60).dispose()"
    subprocess.run([sys.executable, "-c", code, state_url], check=True)  # noqa: S603


def run_once(
    conn: Connection, urls: tuple[str, str], latency: float, command: list[str], tmp: str
) -> dict[str, Any]:
    """One ``reaper once`` in a child process against the simulator; its figures."""
    conn.send("reset")
    conn.recv()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "REAPER_GITHUB_TOKEN": TOKEN,
        "REAPER_GITHUB_API_URL": urls[0],
        "REAPER_GITHUB_ORGS": "acme",
        "REAPER_SLACK_WEBHOOK_URL": urls[1],
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
    ended = started + seconds
    conn.send("count")
    times: list[float] = sorted(conn.recv())  # time.monotonic() is one clock for both processes
    floor = len(times) * latency
    gaps = [later - earlier - latency for earlier, later in itertools.pairwise(times)]
    return {
        "command": " ".join(command),
        "exit": os.waitstatus_to_exitcode(status),
        "requests": len(times),
        "seconds": round(seconds, 2),
        "floor_seconds": round(floor, 2),
        "ratio": round(seconds / floor, 3) if floor else None,
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        # Where the time beyond the floor went: start-up to the first request, the time
        # between one answer and the next request, and the last answer to the exit.
        "start_seconds": round(times[0] - started, 2) if times else None,
        "between_seconds": round(sum(gaps), 2),
        "tail_seconds": round(ended - times[-1] - latency, 2) if times else None,
    }


def main() -> int:
    """Seed once, run the reaper ``--runs`` times, print each run and the medians."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seats", type=int, default=100_000)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--command", default="once", help="the verb to run, e.g. once, report")
    args = parser.parse_args()
    parent, child = mp.Pipe()
    server = mp.get_context("spawn").Process(
        target=serve, args=(args.seats, args.latency, child), daemon=True
    )
    server.start()
    github_url, webhook = parent.recv()
    urls = (github_url, webhook)
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        migrate(f"sqlite:///{Path(tmp) / 'state.db'}")
        for _ in range(args.runs):
            figures = run_once(parent, urls, args.latency, args.command.split(), tmp)
            figures["seats"] = args.seats
            print(json.dumps(figures), flush=True)  # noqa: T201  (the benchmark's output)
            runs.append(figures)
    parent.send("stop")
    parent.recv()
    server.join(timeout=30)
    if len(runs) > 1:
        medians = {key: statistics.median(run[key] for run in runs) for key in FIGURES}
        print(json.dumps({"median_of": len(runs), "seats": args.seats, **medians}))  # noqa: T201
    return 0 if all(run["exit"] == 0 for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
