"""Sending usernames to GitHub's ``selected_users`` endpoints: in chunks, refusals halved.

GitHub answers a request naming one user it will not act on with 422 for the whole
request. Usernames therefore go at most ``CHUNK`` a request, and a refused request is split
in halves until the refused names stand alone: a few refused people among a hundred cost a
few requests each, not a hundred. Cancels (``reaper.cycle.cancel``) and reinstatements
(``reaper.cycle.seating``) both send this way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from reaper.core.budget import CHUNK
from reaper.errors import GitHubError, GitHubUnprocessableError
from reaper.logs import get_logger

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

log = get_logger(__name__)

T = TypeVar("T")


def chunks(logins: Sequence[str]) -> list[list[str]]:
    """``logins`` cut into requests of at most ``CHUNK`` usernames."""
    return [list(logins[start : start + CHUNK]) for start in range(0, len(logins), CHUNK)]


def halving(
    request: Callable[[list[str]], T], logins: list[str], *, scope: str
) -> Iterator[tuple[list[str], T | GitHubError]]:
    """Send ``logins`` in one request; a refused one (422) goes again in halves.

    Yields each batch that got an answer with that answer, or with the ``GitHubError`` it
    raised: a refused single name yields its 422, and any other error ends its batch (it is
    yielded, not raised, so the other halves still go).
    """
    try:
        answer: T | GitHubError = request(logins)
    except GitHubUnprocessableError as exc:
        if len(logins) == 1:
            answer = exc
        else:
            log.warning("github.batch_refused", org=scope, size=len(logins), error=str(exc))
            half = len(logins) // 2
            yield from halving(request, logins[:half], scope=scope)
            yield from halving(request, logins[half:], scope=scope)
            return
    except GitHubError as exc:
        answer = exc
    yield logins, answer
