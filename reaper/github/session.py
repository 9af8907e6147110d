"""One request to GitHub's API: authenticated, paced, retried, bounded, its answer checked.

``GitHubSession`` is the plumbing under the endpoint methods of ``GitHubClient``: the
connection pool and its headers, the rate-limit pacing, the retry policy, one exchange
bounded in time and size, and the translation of transport failures and unsuccessful
answers into the reaper's errors. When the ``auth`` can renew a refused token (a GitHub
App's installation token, ``reaper.github.app_auth``), a 401 is retried once after it did.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import httpx

from reaper import __version__
from reaper.errors import BadResponseError, GitHubError
from reaper.github.answers import RetryableError, path_of, raise_for
from reaper.github.bounded import BodyTooLargeError, fetch
from reaper.github.ratelimit import DEFAULT, RateLimits, bucket_of
from reaper.github.retry import RetryPolicy
from reaper.logs import get_logger

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

log = get_logger(__name__)

# Errors in what we send, not in the network: retrying cannot help (e.g. a newline in a token).
_LOCAL_ERRORS = (httpx.LocalProtocolError, httpx.UnsupportedProtocol, httpx.InvalidURL)


class GitHubSession:
    """Requests to one GitHub API, each answered or translated into a ``GitHubError``.

    ``auth`` authenticates each request as it is sent. ``responses_by_status`` counts the
    answers by HTTP status; ``limits`` holds what GitHub said of its rate limit; ``retry``
    holds the retry bounds and the deadline.
    """

    def __init__(
        self,
        *,
        base_url: str,
        auth: httpx.Auth,
        api_version: str,
        timeout: float,
        max_attempts: int,
        max_wait: float,
        rate_limit_reserve: int,
        sleep: Callable[[float], None],
        clock: Callable[[], datetime],
        transport: httpx.BaseTransport | None,
    ) -> None:
        try:
            self.base = httpx.URL(base_url.rstrip("/") + "/")
        except httpx.InvalidURL:
            raise GitHubError("REAPER_GITHUB_API_URL is not a usable URL") from None
        self._timeout = timeout
        self.auth = auth
        self.retry = RetryPolicy(max_attempts=max_attempts, max_wait=max_wait, sleep=sleep)
        self.limits = RateLimits(reserve=rate_limit_reserve, clock=clock)
        self._http = httpx.Client(
            base_url=self.base,
            auth=auth,
            headers={
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": api_version,
                "User-Agent": f"copilot-seat-reaper/{__version__}",
            },
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            transport=transport,
            follow_redirects=False,
        )
        self.responses_by_status: Counter[int] = Counter()

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send a request, paced and retried; return its successful answer.

        ``url`` is relative to the API's base; ``kwargs`` go to ``httpx`` (e.g. ``json``).
        """
        where = f"{method} {path_of(url)}"
        self.retry.check_deadline(where)
        bucket = self.bucket(url, kwargs.get("auth"))
        self.limits.pace(method, self.retry.pause, bucket)
        return self.retry.run(where, lambda: self._attempt(method, url, bucket, **kwargs))

    def _attempt(
        self, method: str, url: str, bucket: str, *, renewed: bool = False, **kwargs: Any
    ) -> httpx.Response:
        where = f"{method} {path_of(url)}"
        self.retry.check_deadline(where)
        deadline = time.monotonic() + self._timeout
        if self.retry.deadline is not None:
            deadline = min(deadline, self.retry.deadline)
        try:
            response = fetch(self._http, method, url, deadline=deadline, **kwargs)
        except httpx.TimeoutException:
            self.retry.check_deadline(where)
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
        self.limits.record(response, bucket)
        log.debug("github.response", method=method, path=path_of(url), status=response.status_code)
        if response.status_code == 401 and not renewed and self._renewable(response, kwargs):
            return self._attempt(method, url, bucket, renewed=True, **kwargs)
        try:
            return self._check(response, method, url)
        except RecursionError:  # an error body nested too deeply for the json module
            raise BadResponseError(f"GitHub's answer to {where} is not readable") from None

    def bucket(self, url: str, auth: httpx.Auth | None = None) -> str:
        """The rate-limit bucket (``reaper.github.ratelimit``) a request to ``url`` draws from."""
        auth = auth or self.auth
        if not callable(getattr(auth, "bucket", None)):
            return DEFAULT  # one credential, one bucket: the path does not matter
        return bucket_of(auth, self.base.join(url).path)

    def _renewable(self, response: httpx.Response, kwargs: dict[str, Any]) -> bool:
        """After a 401, ask a source of short-lived tokens to renew the one refused, once."""
        renew = getattr(self.auth, "renew", None)
        return "auth" not in kwargs and callable(renew) and bool(renew(response.request))

    def _check(self, response: httpx.Response, method: str, url: str) -> httpx.Response:
        if response.status_code < 300:
            return response
        return raise_for(response, method, url, self.limits.asked_wait(response))
