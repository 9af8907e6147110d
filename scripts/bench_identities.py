"""Cost of finding people without a user map (issue 18): SAML identities, then Slack users.

Run from a checkout with the project's venv::

    .tools/uv/bin/uv run --frozen python scripts/bench_identities.py

Org ``acme`` has 20,000 members with SAML identities; 2,000 of them are to be messaged; the
Slack workspace holds 25,000 users. Every request, GitHub's and Slack's, gets 100 ms added
(``--latency``). Measured, in-process against the simulator, the two steps a cycle's direct
messages take before anything is sent (sending is issue 18's business only through them):

- GitHub: ``reaper.app.identities.IdentityFinder`` (GraphQL requests and time), which picks
  pages of the whole identity list or one query a person, whichever takes fewer requests;
- Slack: ``reaper.slack.directory.prime`` then ``find_user`` for each address, as
  ``DirectMessenger.prepare`` does: ``users.list`` pages or ``users.lookupByEmail``,
  whichever takes fewer requests.

A second cycle, a day later, is measured too: everything comes from the store's caches.

The floor: requests = the fewer of the two paths on each side (GitHub: pages of 100 vs one
per person; Slack: pages of 200 vs one look-up per address); time = the larger of requests times
latency and what the documented limits allow: GraphQL's 5,000 points an hour (a page or a
one-person query costs 1 point, so 200 points wait for nothing), Slack's Tier 2 for
``users.list`` (20 a minute) and Tier 3 for ``users.lookupByEmail`` (50 a minute), counting
the first minute's requests as free. The simulator does not rate-limit Slack, so the
measured Slack time is the latency's and the reaper's own. Wall time and peak RSS are the
whole process's (simulator, seeding and store included). Logs go to stderr; stdout gets one
JSON line.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reaper.app.identities import IdentityFinder
from reaper.config.settings import Settings
from reaper.logs import configure_logging
from reaper.simulator import Simulator
from reaper.slack.directory import find_user, prime
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
    started = time.perf_counter()
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
        first = one_cycle(sim, settings, logins, now)
        second = one_cycle(sim, settings, logins, now + timedelta(days=1))
    figures = {
        "members": args.members,
        "people": args.people,
        "workspace": args.workspace,
        "latency_s": args.latency,
        **floors(args),
        **{f"first_{k}": v for k, v in first.items()},
        **{f"second_{k}": v for k, v in second.items()},
        "wall_s": round(time.perf_counter() - started, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    figures["github_ratio"] = round(first["github_s"] / figures["github_floor_s"], 2)
    slack_requests = first["slack_users_list"] + first["slack_lookups"]
    figures["slack_requests_ratio"] = round(slack_requests / figures["slack_floor_requests"], 2)
    figures["slack_ratio_to_latency"] = round(
        first["slack_s"] / max(slack_requests * args.latency, 0.001), 2
    )
    sys.stdout.write(json.dumps(figures) + "\n")


def one_cycle(
    sim: Simulator, settings: Settings, logins: list[str], now: datetime
) -> dict[str, Any]:
    """Resolve the people as a cycle's direct messages do; requests and seconds each side."""
    before = list(sim.requests)
    start = time.perf_counter()
    chosen = IdentityFinder(settings, clock=lambda: now, sleep=lambda _s: None)(logins, now)
    github_s = time.perf_counter() - start
    client = web_client(SLACK_TOKEN, sim.slack_api_url)
    emails = {k: c.email for k, c in chosen.items() if c.email}
    start = time.perf_counter()
    with DmLedger(settings.state_url) as ledger:
        pages = prime(client, ledger, emails.values(), now, timedelta(days=7))
        found = sum(
            1 for login in logins if find_user(client, ledger, login, emails, now, mapped=False)[0]
        )
    slack_s = time.perf_counter() - start
    new = sim.requests[len(before) :]
    return {
        "github_requests": sum(1 for r in new if r.path == "/graphql"),
        "github_s": round(github_s, 2),
        "addresses_found": len(emails),
        "slack_users_list": pages,
        "slack_lookups": sum(1 for r in new if r.path.endswith("users.lookupByEmail")),
        "slack_s": round(slack_s, 2),
        "slack_users_found": found,
    }


def floors(args: argparse.Namespace) -> dict[str, Any]:
    """The floor the documented limits set, each side (see the module's docstring)."""
    github = min(math.ceil(args.members / 100), args.people)
    pages = math.ceil(args.workspace / 200)
    slack = min(pages, args.people)
    per_minute = 20 if slack == pages else 50  # Tier 2 for users.list, Tier 3 for look-ups
    slack_limit_s = max(slack - per_minute, 0) / per_minute * 60
    return {
        "github_floor_requests": github,
        "github_floor_s": round(max(github * args.latency, max(github - 5000, 0) * 0.72), 2),
        "slack_floor_requests": slack,
        "slack_floor_s": round(max(slack * args.latency, slack_limit_s), 1),
        "slack_lookups_floor_s": round(max(args.people - 50, 0) / 50 * 60, 1),
    }


if __name__ == "__main__":
    main()
