"""What the act step costs in GitHub requests, and how many due persons fit the hourly budget.

Pure: the orchestrator passes what the scan learnt (pages per list, who is in which list) and
the requests left; the answer is the persons to act on now, oldest due date first. The rest
wait for the next cycle, which starts with them, so a cycle never fails the same way twice.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

CHUNK = 100  # usernames per write request: a refused request affects few people
SAFETY = 10  # requests kept back for splitting a refused chunk or re-reading a short count
HOUR = timedelta(hours=1)  # the window GitHub's primary rate limits, and this budget, cover


@dataclass(frozen=True, slots=True)
class Due:
    """One due person as the budget sees them: where they are read and where cancelled."""

    login: str
    lists: tuple[str, ...]  # the seat lists (scopes) the person was read from
    cancels: tuple[str, ...]  # the scopes where a grant of theirs is cancelled


def recheck_by_list(wanted: int, pages: int) -> bool:
    """Tell whether re-reading the whole list is cheaper than re-reading each wanted person."""
    return pages < wanted


def cost(due: Sequence[Due], pages: Mapping[str, int]) -> int:
    """Requests to re-check and cancel ``due``: per list the cheaper re-read, plus the chunks."""
    lists = Counter(name for d in due for name in d.lists)
    cancels = Counter(scope for d in due for scope in d.cancels)
    rereads = sum(min(count, pages.get(name, count)) for name, count in lists.items())
    return rereads + sum(math.ceil(count / CHUNK) for count in cancels.values())


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

    def spend(scope: str) -> None:
        if scope not in started:
            started.add(scope)
            mint_bucket, mints = allowance.mints.get(scope, ("", 0))
            spent[mint_bucket] += mints
        spent[allowance.bucket.get(scope, "")] += 1

    for taken, person in enumerate(due):
        for name in person.lists:
            lists[name] += 1
            if lists[name] <= pages.get(name, lists[name]):
                spend(name)  # one more single read, until the whole list is cheaper
        for scope in person.cancels:
            cancels[scope] += 1
            if cancels[scope] % CHUNK == 1:
                spend(scope)  # a new chunk
        if any(
            count > allowance.left[name] - SAFETY
            for name, count in spent.items()
            if name in allowance.left
        ):
            return taken
    return len(due)
