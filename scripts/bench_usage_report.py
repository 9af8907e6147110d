"""Benchmark of issue 20: streaming a 28-day users usage report, peak memory against file size.

Run from a checkout with the project's venv::

    .tools/uv/bin/uv run --frozen python scripts/bench_usage_report.py --lines 200000
    .tools/uv/bin/uv run --frozen python scripts/bench_usage_report.py --lines 20000

A report file of ``--lines`` NDJSON records (one per user and day, 28 days of
``lines / 28`` users, shaped like GitHub's) is written to a temporary folder and served by a
child process on 127.0.0.1; this process downloads it with ``reaper.github.usage.download``
asking about 50 persons, as a cycle with 50 due persons would. Reported on stdout as one JSON
line: the file's size, the requests (one download), wall seconds, the floor (the same file
downloaded and thrown away unparsed), their ratio, the peak of Python allocations during the
download (``tracemalloc``, in a separate download: tracing slows Python down), which must
stay flat however large the file is, and the process's peak RSS. With ``--light`` every user
in the file is also a seat holder whose active days are counted (light use): one small
integer per holder, which grows with the organisation, not with the file.
"""

from __future__ import annotations

import argparse
import functools
import json
import multiprocessing as mp
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from reaper.github.usage import UsageScan, download

DAYS = 28


def write_report(path: Path, lines: int) -> None:
    """A report of ``lines`` person-day records over 28 days."""
    users = max(1, lines // DAYS)
    start = date(2026, 5, 1)
    with path.open("w", encoding="utf-8") as out:
        for n in range(lines):
            user, day = n % users, n // users
            record = {
                "user_login": f"user-{user:06d}",
                "user_id": user,
                "day": (start + timedelta(days=day % DAYS)).isoformat(),
                "user_initiated_interaction_count": (user + day) % 4,
                "code_generation_activity_count": (user * day) % 7,
                "code_acceptance_activity_count": (user * day) % 3,
                "used_chat": user % 5 == 0,
                "used_agent": False,
                "used_cli": False,
                "used_copilot_code_review_active": False,
                "totals_by_ide": [{"ide": "vscode", "user_initiated_interaction_count": 1}],
                "totals_by_feature": [
                    {"feature": "code_completion", "code_generation_activity_count": 2}
                ],
            }
            out.write(json.dumps(record) + "\n")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *_args: Any) -> None:
        """Stay quiet."""


def serve(folder: str, ready: Any) -> None:
    """Serve ``folder`` on a free loopback port and report the port."""
    handler = functools.partial(_Quiet, directory=folder)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    ready.put(server.server_address[1])
    server.serve_forever()


def _scan(holders: frozenset[str]) -> UsageScan:
    """An empty scan; with holders, counting their active days from the report's first day."""
    return UsageScan(holders=holders, start=date(2026, 5, 1) if holders else None)


def main() -> None:
    """Write, serve and stream one report; print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--light", action="store_true", help="count every user's active days")
    args = parser.parse_args()
    users = max(1, args.lines // DAYS)
    holders = frozenset(f"user-{n:06d}" for n in range(users)) if args.light else frozenset()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.ndjson"
        write_report(path, args.lines)
        ready: Any = mp.Queue()
        child = mp.Process(target=serve, args=(folder, ready), daemon=True)
        child.start()
        try:
            port = ready.get(timeout=30)
            wanted = [f"user-{n:06d}" for n in range(0, 5000, 100)]  # 50 due persons
            url = f"http://127.0.0.1:{port}/report.ndjson"
            began = time.perf_counter()
            with httpx.Client(trust_env=False) as http, http.stream("GET", url) as answer:
                for _ in answer.iter_bytes():
                    pass
            floor = time.perf_counter() - began
            began = time.perf_counter()
            download(url, wanted, timeout=300, scan=_scan(holders))  # timed without tracing
            seconds = time.perf_counter() - began
            tracemalloc.start()
            scan = download(url, wanted, timeout=300, scan=_scan(holders))
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        finally:
            child.terminate()
            child.join()
        figures = {
            "lines": args.lines,
            "file_mb": round(path.stat().st_size / 1e6, 1),
            "records_read": scan.records,
            "bad": scan.bad,
            "persons_kept": len(scan.latest),
            "holders_counted": len(scan.days),
            "requests": 1,
            "seconds": round(seconds, 2),
            "floor_seconds": round(floor, 2),
            "ratio": round(seconds / floor, 1) if floor else None,
            "peak_python_kb": round(peak / 1024),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    sys.stdout.write(json.dumps(figures) + "\n")


if __name__ == "__main__":
    main()
