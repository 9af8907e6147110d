"""HTTP access to GitHub's Copilot seat endpoints: headers, retries, rate limits, paging."""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import httpx
import tenacity

from reaper import __version__
from reaper.errors import (
    BadResponseError,
    DeadlineExceededError,
    GitHubAuthError,
    GitHubError,
    GitHubNotFoundError,
    GitHubUnavailableError,
    GitHubUnprocessableError,
)
from reaper.github.bounded import BodyTooLargeError, fetch
from reaper.logs import get_logger
from reaper.redact import snippet

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

log = get_logger(__name__)

PER_PAGE = 100
SECONDARY_LIMIT_WAIT = 60.0
SECONDARY = object()  # a secondary rate limit: no header says how long to wait
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MUTATION_SPACING = 1.0  # GitHub: at least a second between mutating requests
_BODY_SNIPPET = 200
_HEADER_NUMBER = re.compile(r"^[0-9]{1,15}$")  # rate-limit headers; anything else is ignored
# Errors in what we send, not in the network: retrying cannot help (e.g. a newline in a token).
_LOCAL_ERRORS = (httpx.LocalProtocolError, httpx.UnsupportedProtocol, httpx.InvalidURL)


@dataclass(frozen=True, slots=True)
class SeatPage:
    """One page of an org's seat list, records still unparsed."""

    total_seats: int
    seats: list[Any]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _RetryableError(Exception):
    """A failure worth another try; ``wait`` is the delay GitHub asked for, if any."""

    def __init__(self, reason: str, wait: float | object | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


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

    def iter_seat_pages(self, org: str) -> Iterator[SeatPage]:
        """Yield every page of ``org``'s seat list, following ``Link: rel="next"``."""
        url: str | None = f"orgs/{quote(org, safe='')}/copilot/billing/seats?per_page={PER_PAGE}"
        seen: set[str] = set()
        while url is not None:
            response = self._request("GET", url)
            body = _json(response)
            if not (
                isinstance(body, dict)
                and isinstance(body.get("seats"), list)
                and isinstance(body.get("total_seats"), int)
                and not isinstance(body["total_seats"], bool)
            ):
                raise BadResponseError(f"seat list of {org} is not a seat list")
            yield SeatPage(total_seats=body["total_seats"], seats=body["seats"])
            seen.add(str(response.url))
            url = self._next_link(response, seen)

    def get_seat(self, org: str, login: str) -> dict[str, Any] | None:
        """Re-read one user's seat; ``None`` when the user holds no seat in the org."""
        try:
            response = self._request(
                "GET", f"orgs/{quote(org, safe='')}/members/{quote(login, safe='')}/copilot"
            )
        except GitHubNotFoundError:
            return None
        body = _json(response)
        if not isinstance(body, dict):
            raise BadResponseError(f"seat of {login} in {org} is not an object")
        return body

    def cancel_seats(self, org: str, logins: list[str]) -> int:
        """Cancel the seats of ``logins`` in ``org``; returns how many GitHub cancelled."""
        response = self._request(
            "DELETE",
            f"orgs/{quote(org, safe='')}/copilot/billing/selected_users",
            json={"selected_usernames": logins},
        )
        body = _json(response)
        cancelled = body.get("seats_cancelled") if isinstance(body, dict) else None
        if not isinstance(cancelled, int):
            raise BadResponseError(f"cancel answer for {org} has no seats_cancelled")
        return cancelled

    def org_billing(self, org: str) -> dict[str, Any]:
        """Read ``org``'s Copilot subscription settings."""
        body = _json(self._request("GET", f"orgs/{quote(org, safe='')}/copilot/billing"))
        if not isinstance(body, dict):
            raise BadResponseError(f"Copilot settings of {org} are not an object")
        return body

    # -- plumbing ------------------------------------------------------------------------

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
        self._check_deadline(f"{method} {_path(url)}")
        self._pace(method)
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_RetryableError),
            stop=tenacity.stop_after_attempt(self._max_attempts),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            return retrying(self._attempt, method, url, **kwargs)
        except _RetryableError as exc:
            raise GitHubUnavailableError(
                f"{method} {_path(url)} failed after {self._max_attempts} attempts: {exc.reason}"
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
        reason = error.reason if isinstance(error, _RetryableError) else "retry"
        asked = error.wait if isinstance(error, _RetryableError) else None
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
        where = f"{method} {_path(url)}"
        self._check_deadline(where)
        deadline = time.monotonic() + self._timeout
        if self._deadline is not None:
            deadline = min(deadline, self._deadline)
        try:
            response = fetch(self._http, method, url, deadline=deadline, **kwargs)
        except httpx.TimeoutException:
            self._check_deadline(where)
            raise _RetryableError(f"timeout on {where}") from None
        except _LOCAL_ERRORS as exc:
            raise GitHubError(
                f"{where} could not be sent ({type(exc).__name__}): check REAPER_GITHUB_TOKEN "
                "and REAPER_GITHUB_API_URL for stray characters"
            ) from None
        except httpx.TransportError as exc:
            raise _RetryableError(f"{type(exc).__name__} on {where}") from None
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
        log.debug("github.response", method=method, path=_path(url), status=response.status_code)
        try:
            return self._check(response, method, url)
        except RecursionError:  # an error body nested too deeply for the json module
            raise BadResponseError(f"GitHub's answer to {where} is not readable") from None

    def _check(self, response: httpx.Response, method: str, url: str) -> httpx.Response:
        if response.status_code < 300:
            return response
        return _raise_for(response, method, url, self._rate_limit_wait(response))

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
        if response.status_code == 429 or "rate limit" in _message(response).lower():
            return SECONDARY
        return None


def _raise_for(
    response: httpx.Response, method: str, url: str, wait: float | object | None
) -> httpx.Response:
    status = response.status_code
    where = f"{method} {_path(url)}"
    if wait is not None:
        raise _RetryableError(f"rate limited ({status}) on {where}", wait)
    if status >= 500:
        raise _RetryableError(f"GitHub answered {status} on {where}")
    message = _message(response)
    if status == 401:
        raise GitHubAuthError(f"GitHub refused the token (401) on {where}: {message}", status=401)
    if status == 403:
        raise GitHubAuthError(f"GitHub forbade {where} (403): {message}", status=403)
    if status == 404:
        raise GitHubNotFoundError(f"GitHub has no {_path(url)} (404)", status=404)
    if status == 422:
        raise GitHubUnprocessableError(f"GitHub refused {where} (422): {message}", status=422)
    raise GitHubError(f"GitHub answered {status} on {where}: {message}", status=status)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, RecursionError):  # RecursionError: nested too deeply to parse
        raise BadResponseError(f"GitHub's answer to {response.url.path} is not JSON") from None


def _message(response: httpx.Response) -> str:
    """GitHub's error message, short and scrubbed: bodies may echo the request's token."""
    try:
        body = response.json()
    except ValueError:
        return snippet(response.text, _BODY_SNIPPET)
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return snippet(body["message"], _BODY_SNIPPET)
    return ""


def _path(url: str) -> str:
    return "/" + urlsplit(url).path.lstrip("/")
