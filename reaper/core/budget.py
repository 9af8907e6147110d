"""What the act step costs in GitHub requests, and how many due persons fit the hourly budget.

Pure: the orchestrator passes what the scan learnt (pages per list, who is in which list) and
the requests left; the answer is the persons to act on now, oldest due date first. The rest
wait for the next cycle, which starts with them, so a cycle never fails the same way twice.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

CHUNK = 100  # usernames per write request: a refused request affects few people
SAFETY = 10  # requests kept back for splitting a refused chunk or re-reading a short count


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


def within(due: Sequence[Due], pages: Mapping[str, int], left: int | None) -> int:
    """How many of ``due`` (in order) fit in ``left`` requests; all when ``left`` is unknown."""
    if left is None:
        return len(due)
    budget = left - SAFETY
    lists: Counter[str] = Counter()
    cancels: Counter[str] = Counter()
    spent = 0
    for taken, person in enumerate(due):
        for name in person.lists:
            lists[name] += 1
            if lists[name] <= pages.get(name, lists[name]):
                spent += 1  # one more single read, until the whole list is cheaper
        for scope in person.cancels:
            cancels[scope] += 1
            if cancels[scope] % CHUNK == 1:
                spent += 1  # a new chunk
        if spent > budget:
            return taken
    return len(due)
