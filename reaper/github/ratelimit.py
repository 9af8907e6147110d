"""GitHub's rate limits: what its headers said last, how long a limit asks to wait, pacing.

GitHub documents primary limits (``x-ratelimit-limit``, ``-remaining``, ``-reset``, ``-used``
and ``-resource``), one per credential,
secondary limits (a 403 or 429 that names no wait) and ``retry-after``; and asks for a
second between mutating requests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reaper.github.answers import message

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    import httpx

SECONDARY = object()  # a secondary rate limit: no header says how long to wait
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MUTATION_SPACING = 1.0  # GitHub: at least a second between mutating requests
HEADER_NUMBER = re.compile(r"^[0-9]{1,15}$")  # rate-limit headers; anything else is ignored
RESOURCE = re.compile(r"^[a-z_]{1,40}$")  # x-ratelimit-resource: core, graphql, search...


DEFAULT = "token"  # the bucket of a request whose authentication names none (one token)


def bucket_of(auth: object, path: str) -> str:
    """The rate-limit bucket a request to ``path`` draws from, as its ``auth`` says.

    Each credential has its own hourly limit at GitHub: a classic token, each App
    installation's token, the App's JWT. An ``auth`` with a ``bucket(path)`` method names
    it; any other draws from ``DEFAULT``.
    """
    name = getattr(auth, "bucket", None)
    return str(name(path)) if callable(name) else DEFAULT


@dataclass(slots=True)
class Bucket:
    """What GitHub's headers said last of one credential's limit (``None``: not said)."""

    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None
    used: int | None = None
    resource: str | None = None


class RateLimits:
    """The rate limits GitHub reported last, per bucket, and the pacing they call for.

    ``buckets`` holds, per credential (``bucket_of``), the limit, remaining, reset, used and
    resource of its last answer: the limit is read from the headers, never assumed (5,000
    for a token, 15,000 for an App installation on GitHub Enterprise Cloud, or whatever
    GitHub says). ``remaining`` is the fewest requests left in any bucket (``None`` until an
    answer said so, and again after waiting for a reset).
    """

    def __init__(self, *, reserve: int, clock: Callable[[], datetime]) -> None:
        self._reserve = reserve
        self._clock = clock
        self.buckets: dict[str, Bucket] = {}
        self._last_mutation: datetime | None = None

    @property
    def remaining(self) -> int | None:
        """The fewest requests GitHub said are left in any bucket, or ``None``."""
        known = [b.remaining for b in self.buckets.values() if b.remaining is not None]
        return min(known) if known else None

    def left(self, bucket: str) -> int | None:
        """The requests GitHub said are left in ``bucket``, or ``None`` when unknown."""
        known = self.buckets.get(bucket)
        return None if known is None else known.remaining

    def record(self, response: httpx.Response, bucket: str = DEFAULT) -> None:
        """Note the rate-limit headers of an answer; malformed ones are ignored."""
        known = self.buckets.setdefault(bucket, Bucket())
        for field in ("limit", "remaining", "reset", "used"):
            value = response.headers.get(f"x-ratelimit-{field}", "")
            if HEADER_NUMBER.match(value):
                setattr(known, field, float(value) if field == "reset" else int(value))
        resource = response.headers.get("x-ratelimit-resource", "")
        if RESOURCE.match(resource):
            known.resource = resource

    def pace(self, method: str, pause: Callable[[float, str], None], bucket: str = DEFAULT) -> None:
        """Keep the rate-limit reserve of ``bucket``, and space mutating requests a second apart.

        ``pause(seconds, reason)`` does the waiting (and may refuse it by raising).
        """
        known = self.buckets.get(bucket, Bucket())
        remaining, reset = known.remaining, known.reset
        if remaining is not None and reset is not None and remaining <= self._reserve:
            wait = max(reset - self._clock().timestamp(), 0.0) + 1.0
            pause(wait, f"rate-limit reserve reached ({remaining} requests left)")
            known.remaining = None
        if method in MUTATING:
            if self._last_mutation is not None:
                since = (self._clock() - self._last_mutation).total_seconds()
                if since < MUTATION_SPACING:
                    pause(MUTATION_SPACING - since, "spacing mutating requests")
            self._last_mutation = self._clock()

    def asked_wait(self, response: httpx.Response) -> float | object | None:
        """How long to wait when ``response`` is a rate limit, as GitHub documents it; else None.

        ``retry-after`` wins; else, with no requests left, until ``x-ratelimit-reset``; else
        a secondary limit (``SECONDARY``): at least a minute, backing off.
        """
        if response.status_code not in (403, 429):
            return None
        retry_after = response.headers.get("retry-after", "")
        if HEADER_NUMBER.match(retry_after):
            return float(retry_after)
        reset = response.headers.get("x-ratelimit-reset", "")
        if response.headers.get("x-ratelimit-remaining") == "0" and HEADER_NUMBER.match(reset):
            return max(int(reset) - self._clock().timestamp(), 0.0) + 1.0
        if response.status_code == 429 or "rate limit" in message(response).lower():
            return SECONDARY
        return None
