"""Benchmark of issue 20: streaming a 28-day users usage report, peak memory against file size.

Run from a checkout with the project's venv::

    .tools/uv/bin/uv run --frozen python scripts/bench_usage_report.py --lines 200000
    .tools/uv/bin/uv run --frozen python scripts/bench_usage_report.py --lines 20000

A report file of ``--lines`` NDJSON records (one per user and day, 28 days of
``lines / 28`` users, shaped like GitHub's) is written to a temporary folder and served by a
child process on 127.0.0.1; this process downloads it with ``reaper.github.usage.download``
asking about 50 persons, as a cycle with 50 due persons would. Reported on stdout as one JSON
line: the file's size, wall seconds, and the peak of Python allocations during the download
(``tracemalloc``, in a second download: tracing slows Python down), which must stay flat
however large the file is.
"""

from __future__ import annotations

import argparse
import functools
import json
import multiprocessing as mp
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reaper.github.usage import download

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


def main() -> None:
    """Write, serve and stream one report; print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=200_000)
    args = parser.parse_args()
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
            download(url, wanted, timeout=300)  # timed without tracing, which slows Python
            seconds = time.perf_counter() - began
            tracemalloc.start()
            scan = download(url, wanted, timeout=300)
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
            "seconds": round(seconds, 2),
            "peak_python_kb": round(peak / 1024),
        }
    sys.stdout.write(json.dumps(figures) + "\n")


if __name__ == "__main__":
    main()
