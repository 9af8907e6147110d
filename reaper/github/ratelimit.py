"""GitHub's rate limits: what its headers said last, how long a limit asks to wait, pacing.

GitHub documents primary limits (``x-ratelimit-remaining`` and ``x-ratelimit-reset``),
secondary limits (a 403 or 429 that names no wait) and ``retry-after``; and asks for a
second between mutating requests.
"""

from __future__ import annotations

import re
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


class RateLimits:
    """The rate limit GitHub reported last, and the pacing it calls for.

    ``remaining`` is the number of requests GitHub said are left (``None`` until an answer
    said so, and again after waiting for the reset).
    """

    def __init__(self, *, reserve: int, clock: Callable[[], datetime]) -> None:
        self._reserve = reserve
        self._clock = clock
        self.remaining: int | None = None
        self._reset: float | None = None
        self._last_mutation: datetime | None = None

    def record(self, response: httpx.Response) -> None:
        """Note the rate-limit headers of an answer; malformed ones are ignored."""
        remaining = response.headers.get("x-ratelimit-remaining", "")
        reset = response.headers.get("x-ratelimit-reset", "")
        if HEADER_NUMBER.match(remaining):
            self.remaining = int(remaining)
        if HEADER_NUMBER.match(reset):
            self._reset = float(reset)

    def pace(self, method: str, pause: Callable[[float, str], None]) -> None:
        """Keep the rate-limit reserve, and space mutating requests a second apart.

        ``pause(seconds, reason)`` does the waiting (and may refuse it by raising).
        """
        remaining, reset = self.remaining, self._reset
        if remaining is not None and reset is not None and remaining <= self._reserve:
            wait = max(reset - self._clock().timestamp(), 0.0) + 1.0
            pause(wait, f"rate-limit reserve reached ({remaining} requests left)")
            self.remaining = None
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
