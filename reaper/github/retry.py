"""The GitHub client's retry policy and every wait it makes, within two bounds.

A request is tried up to ``max_attempts`` times, waiting as GitHub asks or backing off
exponentially. No single wait may exceed ``REAPER_GITHUB_MAX_WAIT_SECONDS``, and nothing
is sent or waited for past the cycle's deadline (``REAPER_CYCLE_TIMEOUT_SECONDS``).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, TypeVar

import tenacity

from reaper.errors import DeadlineExceededError, GitHubUnavailableError
from reaper.github.answers import RetryableError
from reaper.github.ratelimit import SECONDARY
from reaper.logs import get_logger

if TYPE_CHECKING:
    from collections.abc import Callable

log = get_logger(__name__)

SECONDARY_LIMIT_WAIT = 60.0

T = TypeVar("T")


class RetryPolicy:
    """How often a request is tried and how long the client may wait, up to a deadline.

    ``deadline`` is a ``time.monotonic`` instant past which nothing is sent or waited for;
    ``None`` sets no deadline.
    """

    def __init__(
        self, *, max_attempts: int, max_wait: float, sleep: Callable[[float], None]
    ) -> None:
        self.max_attempts = max_attempts
        self.max_wait = max_wait
        self.deadline: float | None = None
        self._sleep = sleep

    def run(self, where: str, attempt: Callable[[], T]) -> T:
        """Call ``attempt`` until it stops raising ``RetryableError``, or the attempts run out.

        Running out raises ``GitHubUnavailableError`` naming ``where`` and the last reason.
        """
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(RetryableError),
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except RetryableError as exc:
            raise GitHubUnavailableError(
                f"{where} failed after {self.max_attempts} attempts: {exc.reason}"
            ) from None

    def pause(self, seconds: float, reason: str) -> None:
        """Wait ``seconds``, or fail cleanly when that would exceed the longest allowed wait."""
        if seconds > self.max_wait:
            raise GitHubUnavailableError(
                f"would wait {seconds:.0f}s ({reason}), more than "
                f"REAPER_GITHUB_MAX_WAIT_SECONDS={self.max_wait:.0f}"
            )
        self.check_deadline(reason, seconds)
        log.info("github.wait", reason=reason, wait_seconds=round(seconds, 2))
        self._sleep(seconds)

    def check_deadline(self, what: str, wait: float = 0.0) -> None:
        """Raise ``DeadlineExceededError`` when now (plus ``wait``) is past the cycle deadline."""
        if self.deadline is not None and time.monotonic() + wait >= self.deadline:
            raise DeadlineExceededError(
                f"the cycle ran out of time (REAPER_CYCLE_TIMEOUT_SECONDS) before {what}"
            )

    def _wait(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        reason = error.reason if isinstance(error, RetryableError) else "retry"
        asked = error.wait if isinstance(error, RetryableError) else None
        if isinstance(asked, float):
            delay = max(asked, 0.0)
        elif asked is SECONDARY:
            # GitHub: wait at least a minute, then back off exponentially.
            delay = SECONDARY_LIMIT_WAIT * 2 ** (state.attempt_number - 1)
        else:
            delay = tenacity.wait_exponential_jitter(initial=1, max=30)(state)
        if state.idle_for + delay > self.max_wait:
            raise GitHubUnavailableError(
                f"GitHub asked to wait {delay:.0f}s ({reason}), beyond "
                f"REAPER_GITHUB_MAX_WAIT_SECONDS={self.max_wait:.0f}"
            )
        self.check_deadline(f"retrying ({reason})", delay)
        log.warning(
            "github.retry_scheduled",
            attempt=state.attempt_number,
            wait_seconds=round(delay, 2),
            reason=reason,
        )
        return delay
