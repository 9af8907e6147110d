"""What the act step costs in GitHub requests, and how many due persons fit the hourly budget.

Re-checks, cancels and team removals alike, each charged to the rate-limit bucket of the
scope it is sent to (``Allowance``).

Pure: the orchestrator passes what the scan learnt (pages per list, who is in which list) and
the requests left; the answer is the persons to act on now, oldest due date first. The rest
wait for the next cycle, which starts with them, so a cycle never fails the same way twice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

CHUNK = 100  # usernames per write request: a refused request affects few people
SAFETY = 10  # requests kept back for splitting a refused chunk or re-reading a short count
HOUR = timedelta(hours=1)  # the window GitHub's primary rate limits, and this budget, cover


TEAM_READS = 5  # an org team, once a cycle: itself, team sync, EMU groups, repos, child teams


@dataclass(frozen=True, slots=True)
class Due:
    """One due person as the budget sees them: where they are read, cancelled, removed."""

    login: str
    lists: tuple[str, ...]  # the seat lists (scopes) the person was read from
    cancels: tuple[str, ...]  # the scopes where a grant of theirs is cancelled
    teams: tuple[tuple[str, str], ...] = ()  # (team key, its scope): teams they are removed from


def recheck_by_list(wanted: int, pages: int) -> bool:
    """Tell whether re-reading the whole list is cheaper than re-reading each wanted person."""
    return pages < wanted


def team_cost(key: str, persons: int, pages: int) -> int:
    """Requests to read team ``key``, remove ``persons`` from it and confirm it.

    Per team: its own reads once a cycle, one removal per person (one per 100 for an
    enterprise team), the membership reads (one per person: the cycle reads the team's
    member lists instead only when they take fewer pages, and their length follows the
    team's size, unknown here), and the confirming re-read (one per person, or the list's
    ``pages``).
    """
    if persons < 1:
        return 0
    if key.startswith("ent:"):
        return 1 + -(-persons // CHUNK) + persons + min(persons, pages)
    return TEAM_READS + 2 * persons + min(persons, pages)


@dataclass(frozen=True, slots=True)
class Allowance:
    """The requests left per rate-limit bucket, and which bucket each scope draws on.

    Each credential has its own hourly limit at GitHub (a classic token; each org's App
    installation; the App itself, whose JWT mints the installation tokens). ``left`` is per
    bucket (reserve already taken off; a bucket absent is unknown and does not limit);
    ``bucket`` names the bucket of each scope's reads and cancels (absent: ``""``);
    ``mints`` the requests a scope costs once, before its first, and in which bucket: the
    renewals of an installation token that expires within the hour this budget is for.
    """

    left: Mapping[str, int]
    bucket: Mapping[str, str] = field(default_factory=dict)
    mints: Mapping[str, tuple[str, int]] = field(default_factory=dict)


def within(due: Sequence[Due], pages: Mapping[str, int], left: int | Allowance | None) -> int:
    """How many of ``due`` (in order) fit in ``left``; all when ``left`` is unknown.

    ``left`` is the requests left in the one bucket every request draws on, or an
    ``Allowance`` per bucket; the persons taken must fit, with ``SAFETY`` kept, in each.
    """
    if left is None:
        return len(due)
    allowance = left if isinstance(left, Allowance) else Allowance({"": left})
    lists: Counter[str] = Counter()
    cancels: Counter[str] = Counter()
    spent: Counter[str] = Counter()
    started: set[str] = set()

    members: Counter[str] = Counter()

    def spend(scope: str, requests: int = 1) -> None:
        if scope not in started:
            started.add(scope)
            mint_bucket, mints = allowance.mints.get(scope, ("", 0))
            spent[mint_bucket] += mints
        spent[allowance.bucket.get(scope, "")] += requests

    def team_step(key: str, scope: str) -> int:
        members[key] += 1
        n = members[key]
        before = team_cost(key, n - 1, pages.get(scope, n - 1))
        return team_cost(key, n, pages.get(scope, n)) - before

    for taken, person in enumerate(due):
        for name in person.lists:
            lists[name] += 1
            if lists[name] <= pages.get(name, lists[name]):
                spend(name)  # one more single read, until the whole list is cheaper
        for scope in person.cancels:
            cancels[scope] += 1
            if cancels[scope] % CHUNK == 1:
                spend(scope)  # a new chunk
        for key, scope in person.teams:
            spend(scope, team_step(key, scope))  # in the bucket of the team's scope
        if any(
            count > allowance.left[name] - SAFETY
            for name, count in spent.items()
            if name in allowance.left
        ):
            return taken
    return len(due)
