"""The simulated GitHub's primary rate limits: one hourly bucket per credential.

GitHub counts each credential on its own: a classic token (5,000 an hour), each App
installation's tokens together (15,000 an hour for an organisation on GitHub Enterprise
Cloud; ``AppRegistry.installation_rate_limit``, or per installation), and the App's own
JWT requests. Every answer carries that bucket's ``x-ratelimit-limit``, ``-remaining``,
``-used``, ``-reset`` and ``-resource`` headers; past the limit the answer is a 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

WINDOW = timedelta(hours=1)


@dataclass
class _Window:
    used: int = 0
    reset: datetime | None = None


class RateBuckets:
    """Requests counted per bucket (a name and its hourly limit), each with its own window."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self.windows: dict[str, _Window] = {}

    def used(self, bucket: str) -> int:
        """The requests counted in ``bucket``'s current window."""
        window = self.windows.get(bucket)
        return 0 if window is None else window.used

    def count(self, bucket: str, limit: int) -> tuple[dict[str, str], bool]:
        """Count one request in ``bucket``: its rate-limit headers, and whether it is over."""
        now = self._clock()
        window = self.windows.setdefault(bucket, _Window())
        if window.reset is None or now >= window.reset:
            window.reset, window.used = now.replace(microsecond=0) + WINDOW, 0
        window.used += 1
        used = min(window.used, limit)
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(limit - used),
            "X-RateLimit-Used": str(used),
            "X-RateLimit-Reset": str(int(window.reset.timestamp())),
            "X-RateLimit-Resource": "core",
        }
        return headers, window.used > limit
