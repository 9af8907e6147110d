"""GitHub's Copilot seat endpoints: seat lists followed page by page, grants, cancels, adds.

The seat methods take a scope key (``reaper.core.domain``): an org's login, or
``enterprise:<slug>`` for the enterprise endpoints. Sending a request (authentication,
pacing, retries, deadlines) is ``GitHubSession``'s part.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, TypeGuard
from urllib.parse import quote, urlsplit

from reaper.core.domain import is_enterprise, scope_label, scope_name
from reaper.errors import BadResponseError, GitHubNotFoundError
from reaper.github.answers import json_body
from reaper.github.auth import BearerToken
from reaper.github.prefetch import ReadAhead
from reaper.github.session import GitHubSession

if TYPE_CHECKING:
    from collections import Counter
    from collections.abc import Callable, Iterator

    import httpx

PER_PAGE = 100


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
        token: str = "",
        auth: httpx.Auth | None = None,
        api_version: str = "2022-11-28",
        timeout: float = 30.0,
        max_attempts: int = 5,
        max_wait: float = 900.0,
        rate_limit_reserve: int = 100,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = _utc_now,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._session = GitHubSession(
            base_url=base_url,
            auth=auth or BearerToken(token),
            api_version=api_version,
            timeout=timeout,
            max_attempts=max_attempts,
            max_wait=max_wait,
            rate_limit_reserve=rate_limit_reserve,
            sleep=sleep,
            clock=clock,
            transport=transport,
        )
        bind = getattr(auth, "bind", None)  # a GitHub App mints its tokens through the session
        if callable(bind):
            bind(self._session.request, self._session.base.path)
        self.auth = self._session.auth

    @property
    def responses_by_status(self) -> Counter[int]:
        """How many answers GitHub gave, by HTTP status."""
        return self._session.responses_by_status

    @property
    def rate_limit_remaining(self) -> int | None:
        """The requests GitHub said are left this hour, or ``None`` when unknown."""
        return self._session.limits.remaining

    def rate_limit_left(self, scope: str) -> tuple[str, int | None]:
        """The rate-limit bucket the scope's requests draw from, and the requests left in it."""
        bucket = self._session.bucket(f"{_base(scope)}/copilot/billing/seats")
        return bucket, self._session.limits.left(bucket)

    @property
    def session(self) -> GitHubSession:
        """The paced, retried session, for endpoint modules beside this one (``teams``)."""
        return self._session

    def set_deadline(self, at_monotonic: float | None) -> None:
        """Refuse any request, and any wait, past ``at_monotonic`` (``time.monotonic``).

        Past it, requests raise ``DeadlineExceededError``; ``None`` lifts the deadline.
        """
        self._session.retry.deadline = at_monotonic

    def close(self) -> None:
        """Release the connection pool."""
        self._session.close()

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- endpoints -----------------------------------------------------------------------

    def iter_seat_pages(
        self, scope: str, *, per_page: int = PER_PAGE, read_ahead: bool = False
    ) -> Iterator[SeatPage]:
        """Yield every page of the scope's seat list, following ``Link: rel="next"``.

        ``read_ahead``: the request for the next page is sent as soon as a page's headers
        name it, while the caller works on that page (``reaper.github.prefetch``); still one
        request at a time, in the same order, with the same errors at the same pages.
        """
        first = f"{_base(scope)}/copilot/billing/seats?per_page={per_page}"
        seen: set[str] = set()
        reader: ReadAhead[httpx.Response] = ReadAhead()
        with reader as ahead:
            response = self._session.request("GET", first)
            while True:
                seen.add(str(response.url))
                link_error: BadResponseError | None = None
                try:
                    url = self._next_link(response, seen)
                except BadResponseError as exc:  # raised where it was: after this page
                    url, link_error = None, exc
                if read_ahead and url is not None:
                    ahead.send(partial(self._session.request, "GET", url))
                yield _seat_page(scope, response)
                if link_error is not None:
                    raise link_error
                if url is None:
                    return
                response = ahead.take() if read_ahead else self._session.request("GET", url)

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
            response = self._session.request(
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
        body = json_body(
            self._session.request("GET", f"orgs/{quote(org, safe='')}/copilot/billing")
        )
        if not isinstance(body, dict):
            raise BadResponseError(f"Copilot settings of {org} are not an object")
        return body

    # -- plumbing ------------------------------------------------------------------------

    def _selected_users(self, method: str, scope: str, logins: list[str], key: str) -> int:
        response = self._session.request(
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
        target, base = urlsplit(link), self._session.base
        if (target.scheme, target.netloc) != (base.scheme, base.netloc.decode()):
            raise BadResponseError("the next-page link points at another host")
        if link in seen:
            raise BadResponseError("the next-page link loops back to a page already read")
        return link


def _base(scope: str) -> str:
    """The path prefix of a scope key: ``orgs/{org}`` or ``enterprises/{enterprise}``."""
    kind = "enterprises" if is_enterprise(scope) else "orgs"
    return f"{kind}/{quote(scope_name(scope), safe='')}"


def _seat_page(scope: str, response: httpx.Response) -> SeatPage:
    """The page an answer holds; ``BadResponseError`` when it is not a seat list."""
    body = json_body(response)
    if not (
        isinstance(body, dict)
        and isinstance(body.get("seats"), list)
        and _is_count(body.get("total_seats"))
    ):
        raise BadResponseError(f"seat list of {scope_label(scope)} is not a seat list")
    return SeatPage(total_seats=body["total_seats"], seats=body["seats"])


def _is_count(value: object) -> TypeGuard[int]:
    """Tell whether a JSON value is a count (an integer, not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _direct_enterprise_grant(record: dict[str, Any]) -> bool:
    """Tell whether a record is a direct enterprise-level grant: no org, no team."""
    return record.get("organization") is None and record.get("assigning_team") is None
