"""HTTP access to GitHub's Copilot seat endpoints: headers, retries, rate limits, paging.

The seat methods take a scope key (``reaper.core.domain``): an org's login, or
``enterprise:<slug>`` for the enterprise endpoints.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeGuard
from urllib.parse import quote, urlsplit

import httpx
import tenacity

from reaper import __version__
from reaper.core.domain import is_enterprise, scope_label, scope_name
from reaper.errors import (
    BadResponseError,
    DeadlineExceededError,
    GitHubError,
    GitHubNotFoundError,
    GitHubUnavailableError,
)
from reaper.github.answers import RetryableError, json_body, message, path_of, raise_for
from reaper.github.bounded import BodyTooLargeError, fetch
from reaper.logs import get_logger

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

log = get_logger(__name__)

PER_PAGE = 100
SECONDARY_LIMIT_WAIT = 60.0
SECONDARY = object()  # a secondary rate limit: no header says how long to wait
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MUTATION_SPACING = 1.0  # GitHub: at least a second between mutating requests
_HEADER_NUMBER = re.compile(r"^[0-9]{1,15}$")  # rate-limit headers; anything else is ignored
# Errors in what we send, not in the network: retrying cannot help (e.g. a newline in a token).
_LOCAL_ERRORS = (httpx.LocalProtocolError, httpx.UnsupportedProtocol, httpx.InvalidURL)


@dataclass(frozen=True, slots=True)
class SeatPage:
    """One page of a seat list (an org's or an enterprise's), records still unparsed.

    ``total_seats`` is GitHub's count: seats for an org, persons for an enterprise, whose
    list holds one record per grant.
    """

    total_seats: int
    seats: list[Any]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class GitHubClient:
    """A small client for the seat endpoints that translates failures into ``GitHubError``."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        api_version: str = "2022-11-28",
        timeout: float = 30.0,
        max_attempts: int = 5,
        max_wait: float = 900.0,
        rate_limit_reserve: int = 100,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = _utc_now,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not token.isascii():
            raise GitHubError("REAPER_GITHUB_TOKEN holds characters an HTTP header cannot carry")
        try:
            self._base = httpx.URL(base_url.rstrip("/") + "/")
        except httpx.InvalidURL:
            raise GitHubError("REAPER_GITHUB_API_URL is not a usable URL") from None
        self._timeout = timeout
        self._deadline: float | None = None
        self._max_attempts = max_attempts
        self._max_wait = max_wait
        self._reserve = rate_limit_reserve
        self._sleep = sleep
        self._clock = clock
        self._last_mutation: datetime | None = None
        self._rate_limit_reset: float | None = None
        self._http = httpx.Client(
            base_url=self._base,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": api_version,
                "User-Agent": f"copilot-seat-reaper/{__version__}",
            },
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=transport,
            follow_redirects=False,
        )
        self.responses_by_status: Counter[int] = Counter()
        self.rate_limit_remaining: int | None = None

    def set_deadline(self, at_monotonic: float | None) -> None:
        """Refuse any request, and any wait, past ``at_monotonic`` (``time.monotonic``).

        Past it, requests raise ``DeadlineExceededError``; ``None`` lifts the deadline.
        """
        self._deadline = at_monotonic

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- endpoints -----------------------------------------------------------------------

    def iter_seat_pages(self, scope: str, *, per_page: int = PER_PAGE) -> Iterator[SeatPage]:
        """Yield every page of the scope's seat list, following ``Link: rel="next"``."""
        url: str | None = f"{_base(scope)}/copilot/billing/seats?per_page={per_page}"
        seen: set[str] = set()
        while url is not None:
            response = self._request("GET", url)
            body = json_body(response)
            if not (
                isinstance(body, dict)
                and isinstance(body.get("seats"), list)
                and _is_count(body.get("total_seats"))
            ):
                raise BadResponseError(f"seat list of {scope_label(scope)} is not a seat list")
            yield SeatPage(total_seats=body["total_seats"], seats=body["seats"])
            seen.add(str(response.url))
            url = self._next_link(response, seen)

    def get_seat(self, scope: str, login: str) -> dict[str, Any] | None:
        """Re-read the one grant of ``login`` that ``scope`` itself can cancel, or ``None``.

        An org: the user's seat record in the org. An enterprise: the user's direct
        enterprise-level grant (``organization`` and ``assigning_team`` null or missing) among
        the records the enterprise member endpoint lists. ``None`` when there is none (404).
        """
        if not is_enterprise(scope):
            grants = self.get_grants(scope, login)
            return grants[0] if grants else None
        direct = [g for g in self.get_grants(scope, login) if _direct_enterprise_grant(g)]
        return direct[0] if direct else None

    def get_grants(self, scope: str, login: str) -> list[dict[str, Any]]:
        """Every seat record of ``login`` that ``scope`` shows; ``[]`` when none (404).

        An org: its one record of the user. An enterprise: every grant of the user in the
        enterprise (each granting org, enterprise team or direct grant), from
        ``GET /enterprises/{enterprise}/members/{username}/copilot``.
        """
        where = f"{login} in {scope_label(scope)}"
        try:
            response = self._request(
                "GET", f"{_base(scope)}/members/{quote(login, safe='')}/copilot"
            )
        except GitHubNotFoundError:
            return []
        body = json_body(response)
        if not is_enterprise(scope):
            if not isinstance(body, dict):
                raise BadResponseError(f"seat of {where} is not an object")
            return [body]
        seats = body.get("seats") if isinstance(body, dict) else None
        if not isinstance(seats, list) or not all(isinstance(s, dict) for s in seats):
            raise BadResponseError(f"seats of {where} are not a list of seat objects")
        return seats

    def cancel_seats(self, scope: str, logins: list[str]) -> int:
        """Cancel the per-user grants of ``logins``; returns how many GitHub cancelled.

        An enterprise: its direct enterprise-level grants only.
        """
        return self._selected_users("DELETE", scope, logins, "seats_cancelled")

    def add_seats(self, scope: str, logins: list[str]) -> int:
        """Grant (or restore) seats of ``logins`` in ``scope``; returns how many GitHub created.

        An enterprise: direct enterprise-level grants. A 422 (e.g. a user GitHub will not
        seat) raises ``GitHubUnprocessableError`` with GitHub's message.
        """
        return self._selected_users("POST", scope, logins, "seats_created")

    def org_billing(self, org: str) -> dict[str, Any]:
        """Read ``org``'s Copilot subscription settings."""
        body = json_body(self._request("GET", f"orgs/{quote(org, safe='')}/copilot/billing"))
        if not isinstance(body, dict):
            raise BadResponseError(f"Copilot settings of {org} are not an object")
        return body

    # -- plumbing ------------------------------------------------------------------------

    def _selected_users(self, method: str, scope: str, logins: list[str], key: str) -> int:
        response = self._request(
            method,
            f"{_base(scope)}/copilot/billing/selected_users",
            json={"selected_usernames": logins},
        )
        body = json_body(response)
        count = body.get(key) if isinstance(body, dict) else None
        if not _is_count(count):
            verb = "cancel" if method == "DELETE" else "add"
            raise BadResponseError(f"{verb} answer for {scope_label(scope)} has no {key}")
        return count

    def _next_link(self, response: httpx.Response, seen: set[str]) -> str | None:
        link = response.links.get("next", {}).get("url")
        if not link:
            return None
        target = urlsplit(link)
        if (target.scheme, target.netloc) != (self._base.scheme, self._base.netloc.decode()):
            raise BadResponseError("the next-page link points at another host")
        if link in seen:
            raise BadResponseError("the next-page link loops back to a page already read")
        return link

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        self._check_deadline(f"{method} {path_of(url)}")
        self._pace(method)
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(RetryableError),
            stop=tenacity.stop_after_attempt(self._max_attempts),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            return retrying(self._attempt, method, url, **kwargs)
        except RetryableError as exc:
            raise GitHubUnavailableError(
                f"{method} {path_of(url)} failed after {self._max_attempts} attempts: {exc.reason}"
            ) from None

    def _pace(self, method: str) -> None:
        """Keep the rate-limit reserve, and space mutating requests a second apart."""
        remaining, reset = self.rate_limit_remaining, self._rate_limit_reset
        if remaining is not None and reset is not None and remaining <= self._reserve:
            wait = max(reset - self._clock().timestamp(), 0.0) + 1.0
            self._pause(wait, f"rate-limit reserve reached ({remaining} requests left)")
            self.rate_limit_remaining = None
        if method in MUTATING:
            if self._last_mutation is not None:
                since = (self._clock() - self._last_mutation).total_seconds()
                if since < MUTATION_SPACING:
                    self._pause(MUTATION_SPACING - since, "spacing mutating requests")
            self._last_mutation = self._clock()

    def _pause(self, seconds: float, reason: str) -> None:
        """Wait ``seconds``, or fail cleanly when that would exceed the longest allowed wait."""
        if seconds > self._max_wait:
            raise GitHubUnavailableError(
                f"would wait {seconds:.0f}s ({reason}), more than "
                f"REAPER_GITHUB_MAX_WAIT_SECONDS={self._max_wait:.0f}"
            )
        self._check_deadline(reason, seconds)
        log.info("github.wait", reason=reason, wait_seconds=round(seconds, 2))
        self._sleep(seconds)

    def _check_deadline(self, what: str, wait: float = 0.0) -> None:
        """Raise ``DeadlineExceededError`` when now (plus ``wait``) is past the cycle deadline."""
        if self._deadline is not None and time.monotonic() + wait >= self._deadline:
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
        if state.idle_for + delay > self._max_wait:
            raise GitHubUnavailableError(
                f"GitHub asked to wait {delay:.0f}s ({reason}), beyond "
                f"REAPER_GITHUB_MAX_WAIT_SECONDS={self._max_wait:.0f}"
            )
        self._check_deadline(f"retrying ({reason})", delay)
        log.warning(
            "github.retry_scheduled",
            attempt=state.attempt_number,
            wait_seconds=round(delay, 2),
            reason=reason,
        )
        return delay

    def _attempt(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        where = f"{method} {path_of(url)}"
        self._check_deadline(where)
        deadline = time.monotonic() + self._timeout
        if self._deadline is not None:
            deadline = min(deadline, self._deadline)
        try:
            response = fetch(self._http, method, url, deadline=deadline, **kwargs)
        except httpx.TimeoutException:
            self._check_deadline(where)
            raise RetryableError(f"timeout on {where}") from None
        except _LOCAL_ERRORS as exc:
            raise GitHubError(
                f"{where} could not be sent ({type(exc).__name__}): check REAPER_GITHUB_TOKEN "
                "and REAPER_GITHUB_API_URL for stray characters"
            ) from None
        except httpx.TransportError as exc:
            raise RetryableError(f"{type(exc).__name__} on {where}") from None
        except httpx.DecodingError:
            raise BadResponseError(f"GitHub's answer to {where} could not be decoded") from None
        except BodyTooLargeError as exc:
            raise BadResponseError(f"GitHub's answer to {where} is too large ({exc})") from None
        self.responses_by_status[response.status_code] += 1
        remaining = response.headers.get("x-ratelimit-remaining", "")
        reset = response.headers.get("x-ratelimit-reset", "")
        if _HEADER_NUMBER.match(remaining):
            self.rate_limit_remaining = int(remaining)
        if _HEADER_NUMBER.match(reset):
            self._rate_limit_reset = float(reset)
        log.debug("github.response", method=method, path=path_of(url), status=response.status_code)
        try:
            return self._check(response, method, url)
        except RecursionError:  # an error body nested too deeply for the json module
            raise BadResponseError(f"GitHub's answer to {where} is not readable") from None

    def _check(self, response: httpx.Response, method: str, url: str) -> httpx.Response:
        if response.status_code < 300:
            return response
        return raise_for(response, method, url, self._rate_limit_wait(response))

    def _rate_limit_wait(self, response: httpx.Response) -> float | object | None:
        """How long to wait when ``response`` is a rate limit, as GitHub documents it; else None.

        ``retry-after`` wins; else, with no requests left, until ``x-ratelimit-reset``; else
        a secondary limit (``SECONDARY``): at least a minute, backing off.
        """
        if response.status_code not in (403, 429):
            return None
        retry_after = response.headers.get("retry-after", "")
        if _HEADER_NUMBER.match(retry_after):
            return float(retry_after)
        reset = response.headers.get("x-ratelimit-reset", "")
        if response.headers.get("x-ratelimit-remaining") == "0" and _HEADER_NUMBER.match(reset):
            return max(int(reset) - self._clock().timestamp(), 0.0) + 1.0
        if response.status_code == 429 or "rate limit" in message(response).lower():
            return SECONDARY
        return None


def _base(scope: str) -> str:
    """The path prefix of a scope key: ``orgs/{org}`` or ``enterprises/{enterprise}``."""
    kind = "enterprises" if is_enterprise(scope) else "orgs"
    return f"{kind}/{quote(scope_name(scope), safe='')}"


def _is_count(value: object) -> TypeGuard[int]:
    """Tell whether a JSON value is a count (an integer, not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _direct_enterprise_grant(record: dict[str, Any]) -> bool:
    """Tell whether a record is a direct enterprise-level grant: no org, no team."""
    return record.get("organization") is None and record.get("assigning_team") is None
