"""Serve the reaper's GitHub and Slack simulator on 127.0.0.1 until SIGTERM or SIGINT.

For checks that run the reaper out of process (the container check): seeds one org with
some active and some idle seats, prints one JSON line with the URLs and the token to point
the reaper at, then serves. On exit it prints a second JSON line with what it received
(requests by path prefix, Slack messages), so the caller can check a report arrived.

    python scripts/run_simulator.py [--org acme] [--seats 40]
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from reaper.simulator import Simulator

TOKEN = "ghp_container_check_not_a_secret"  # noqa: S105  (the simulator's own)
DAY = timedelta(days=1)


def seed(sim: Simulator, org: str, seats: int, now: datetime) -> None:
    """Give ``org`` ``seats`` seats: every fourth one idle for 100 days, the rest active."""
    sim.add_org(org)
    for number in range(seats):
        idle = number % 4 == 0
        sim.add_seat(
            org,
            f"dev{number:03d}",
            created_at=now - 400 * DAY,
            last_activity_at=None if idle else now - number * timedelta(hours=1),
        )


def main(argv: list[str] | None = None) -> int:
    """Run the simulator until a signal arrives; print its URLs, then a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--org", default="acme")
    parser.add_argument("--seats", type=int, default=40)
    args = parser.parse_args(argv)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with Simulator(token=TOKEN) as sim:
        seed(sim, args.org, args.seats, datetime.now(UTC))
        _emit(
            {
                "github_url": sim.github_url,
                "slack_webhook_url": sim.slack_webhook_url,
                "slack_api_url": sim.slack_api_url,
                "token": TOKEN,
                "org": args.org,
            }
        )
        stop.wait()
        paths: dict[str, int] = {}
        for request in sim.requests:
            prefix = "/".join(request.path.split("/")[:2]) or "/"
            paths[prefix] = paths.get(prefix, 0) + 1
        _emit({"requests": paths, "slack_messages": len(sim.slack_messages)})
    return 0


def _emit(record: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
