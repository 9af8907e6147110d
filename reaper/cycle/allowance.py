"""The act step's rate-limit allowance: the requests left per credential, token renewals counted.

With a classic token every scope draws on one bucket. With a GitHub App each org draws on
its installation's own limit (read from GitHub's headers, e.g. 15,000 an hour on GitHub
Enterprise Cloud), the enterprise on the classic token's, and renewing an installation
token costs the App's own (JWT) requests: one per org whose token must be renewed within
the hour the budget is for (two when the installation is looked up first).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reaper.core.budget import HOUR, Allowance
from reaper.core.domain import is_enterprise

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from reaper.github import GitHubClient


def allowance(
    github: GitHubClient, scopes: Iterable[str], reserve: int, now: datetime
) -> Allowance:
    """What each bucket has left (less ``reserve``), each scope's bucket, and its renewals."""
    left: dict[str, int] = {}
    buckets: dict[str, str] = {}
    mints: dict[str, tuple[str, int]] = {}
    mint_requests = getattr(github.auth, "mint_requests", None)
    for scope in scopes:
        bucket, remaining = github.rate_limit_left(scope)
        buckets[scope] = bucket
        if remaining is not None:
            left[bucket] = remaining - reserve
        if callable(mint_requests) and not is_enterprise(scope):
            mint_bucket, count = mint_requests(scope, now + HOUR)
            mints[scope] = (mint_bucket, count)
            mint_left = github.session.limits.left(mint_bucket)
            if mint_left is not None:
                left[mint_bucket] = mint_left - reserve
    return Allowance(left, buckets, mints)


def tightest(left: Allowance) -> int | None:
    """The fewest requests left in any bucket, for the report; ``None`` when none is known."""
    return min(left.left.values(), default=None)
