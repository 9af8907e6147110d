"""Cost of finding people without a user map (issue 18): SAML identities, then Slack users.

Run from a checkout with the project's venv::

    .tools/uv/bin/uv run --frozen python scripts/bench_identities.py

Org ``acme`` has 20,000 members with SAML identities; 2,000 of them are to be messaged; the
Slack workspace holds 25,000 users. Every request, GitHub's and Slack's, gets 100 ms added
(``--latency``). Measured, in-process against the simulator: the identity step
(``reaper.app.identities.IdentityFinder``: GraphQL requests and time) and the Slack step
(``reaper.slack.dm.find_user`` for each address: ``users.lookupByEmail`` requests and time).
Printed beside them, the floor the documented limits set: GraphQL pages of 100 (the fewer of
pages and one query per person), GraphQL's 5,000 points an hour, Slack's Tier 3 (about 50
``users.lookupByEmail`` a minute) and Tier 2 for ``users.list`` (about 20 pages of 200 a
minute). The simulator does not rate-limit Slack, so the Slack time measured is the latency
only. Logs go to stderr; stdout gets one JSON line.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from reaper.app.identities import IdentityFinder
from reaper.config.settings import Settings
from reaper.logs import configure_logging
from reaper.simulator import Simulator
from reaper.slack.directory import find_user
from reaper.slack.ledger import DmLedger
from reaper.slack.transport import web_client

if TYPE_CHECKING:
    from reaper.simulator import RecordedRequest

ORG = "acme"
TOKEN = "ghp_bench"  # noqa: S105  (the simulator's made-up token)
SLACK_TOKEN = "xoxb-bench"  # noqa: S105


def main() -> None:
    """Seed, resolve the people, print the figures as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--people", type=int, default=2_000)
    parser.add_argument("--workspace", type=int, default=25_000)
    parser.add_argument("--latency", type=float, default=0.1)
    args = parser.parse_args()
    configure_logging(level="WARNING", fmt="json", stream=sys.stderr)
    now = datetime.now(UTC)
    with (
        tempfile.TemporaryDirectory() as tmp,
        Simulator(token=TOKEN, slack_bot_token=SLACK_TOKEN, latency=args.latency) as sim,
    ):
        sim.add_org(ORG)
        for n in range(args.members):
            sim.graphql.add_identity(ORG, f"member-{n:05d}", name_id=f"m{n}@corp.example")
        sim.slack_users_by_email = {
            f"m{n}@corp.example": f"U{n:08d}" for n in range(args.workspace)
        }

        def slack_latency(request: RecordedRequest) -> bool:
            if request.path.startswith("/slack/"):
                time.sleep(args.latency)  # the simulator delays only GitHub by itself
            return False

        sim.before_request = slack_latency
        state_url = f"sqlite:///{Path(tmp) / 'state.db'}"
        settings = Settings(
            github_token=TOKEN,
            github_api_url=sim.github_url,
            github_orgs=[ORG],
            state_url=state_url,
            identity="saml",
        )
        step = max(args.members // args.people, 1)
        logins = [f"member-{n:05d}" for n in range(0, args.members, step)][: args.people]
        start = time.perf_counter()
        chosen = IdentityFinder(settings, clock=lambda: now, sleep=lambda _s: None)(logins, now)
        github_s = time.perf_counter() - start
        github = len([r for r in sim.requests if r.path == "/graphql"])
        client = web_client(SLACK_TOKEN, sim.slack_api_url)
        emails = {k: c.email for k, c in chosen.items() if c.email}
        start = time.perf_counter()
        with DmLedger(state_url) as ledger:
            found = sum(
                1
                for login in logins
                if find_user(client, ledger, login, emails, now, mapped=False)[0]
            )
        slack_s = time.perf_counter() - start
        slack = len([r for r in sim.requests if r.path.endswith("users.lookupByEmail")])
    pages = math.ceil(args.members / 100)
    floor_github = min(pages, args.people)
    directory_pages = math.ceil(args.workspace / 200)
    sys.stdout.write(
        json.dumps(
            {
                "members": args.members,
                "people": args.people,
                "workspace": args.workspace,
                "latency_s": args.latency,
                "github_requests": github,
                "github_s": round(github_s, 2),
                "github_floor_requests": floor_github,
                "github_floor_s": round(floor_github * args.latency, 2),
                "github_points_of_5000_an_hour": github,
                "addresses_found": len(emails),
                "slack_requests": slack,
                "slack_s": round(slack_s, 2),
                "slack_users_found": found,
                "slack_floor_lookups_min": round(args.people / 50, 1),
                "slack_floor_users_list_pages": directory_pages,
                "slack_floor_users_list_min": round(directory_pages / 20, 2),
            }
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
