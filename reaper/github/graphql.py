"""GitHub's GraphQL API: one query at a time, its own rate limit, its ``errors`` read.

``GraphQL`` posts a query to ``REAPER_GITHUB_GRAPHQL_URL`` (by default derived from
``REAPER_GITHUB_API_URL``: ``https://api.github.com/graphql``, or ``https://HOST/api/graphql``
for GitHub Enterprise Server) over its own ``GitHubSession``, so GraphQL's rate limit (points,
``x-ratelimit-resource: graphql``) is paced apart from REST's, with the same reserve and
retries. Requests are serial. An answer is never trusted whole: ``errors`` are read by
their ``type`` (``FORBIDDEN``, ``NOT_FOUND``, SAML enforcement) and returned beside the
partial ``data``; an answer with errors and no data raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from reaper.errors import BadResponseError, GitHubAuthError, GitHubError
from reaper.github.answers import json_body
from reaper.github.ratelimit import DEFAULT, RateLimits
from reaper.redact import snippet

if TYPE_CHECKING:
    from collections.abc import Callable

    from reaper.github.session import GitHubSession

MESSAGE_SNIPPET = 200
RATE_LIMIT_WAIT = 60.0  # seconds; GitHub names no wait for a RATE_LIMITED answer


def graphql_url(api_url: str, configured: str | None = None) -> str:
    """The GraphQL endpoint: ``configured`` if given, else derived from the REST API's URL."""
    if configured:
        return configured
    parts = urlsplit(api_url)
    if parts.hostname == "api.github.com":
        return "https://api.github.com/graphql"
    path = parts.path.rstrip("/")
    if path.endswith("/api/v3"):  # GitHub Enterprise Server: https://HOST/api/v3
        path = path.removesuffix("/v3")
    return f"{parts.scheme}://{parts.netloc}{path}/graphql"


@dataclass(frozen=True)
class Problem:
    """One entry of an answer's ``errors``: its kind, where in the data, what it says."""

    kind: str  # FORBIDDEN, NOT_FOUND, SAML (single sign-on not authorised), or GitHub's type
    path: tuple[str | int, ...]
    message: str


@dataclass
class Answer:
    """A GraphQL answer: its data (possibly partial) and the problems it reported."""

    data: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)

    def kinds(self) -> set[str]:
        """The kinds of problem in this answer."""
        return {p.kind for p in self.problems}


def _problem(entry: object) -> Problem:
    if not isinstance(entry, dict):
        return Problem("UNKNOWN", (), "")
    text = snippet(str(entry.get("message") or ""), MESSAGE_SNIPPET)
    kind = str(entry.get("type") or (entry.get("extensions") or {}).get("code") or "UNKNOWN")
    if "saml" in text.lower() or "single sign-on" in text.lower():
        kind = "SAML"
    path = entry.get("path")
    where = tuple(p for p in path if isinstance(p, str | int)) if isinstance(path, list) else ()
    return Problem(kind, where, text)


class QueryLimits(RateLimits):
    """GraphQL's rate limit: a query is sent by POST but mutates nothing, so it is not spaced."""

    def pace(self, method: str, pause: Callable[[float, str], None], bucket: str = DEFAULT) -> None:
        """Keep the reserve of GraphQL's points; no spacing between queries."""
        super().pace("QUERY" if method == "POST" else method, pause, bucket)


class GraphQL:
    """Queries to GitHub's GraphQL endpoint, sent one at a time over ``session``."""

    def __init__(self, session: GitHubSession, url: str) -> None:
        self._session = session
        self.url = url
        self.requests = 0
        self.cost = 0  # points spent, as the answers' ``rateLimit { cost }`` said

    def close(self) -> None:
        """Release the session's connections."""
        self._session.close()

    def query(self, text: str, variables: dict[str, Any]) -> Answer:
        """Send one query; its data and problems (raises when it has no data at all).

        A ``RATE_LIMITED`` answer (GraphQL's points spent) waits a minute, once, and asks again.
        """
        answer = self._once(text, variables)
        if "RATE_LIMITED" in answer.kinds() and not any(answer.data.values()):
            self._session.retry.pause(RATE_LIMIT_WAIT, "GraphQL rate limit")
            answer = self._once(text, variables)
        return answer

    def _once(self, text: str, variables: dict[str, Any]) -> Answer:
        self.requests += 1
        payload = {"query": text, "variables": variables}
        response = self._session.request("POST", self.url, json=payload)
        body = json_body(response)
        if not isinstance(body, dict):
            raise BadResponseError("GitHub's GraphQL answer is not an object")
        problems = [_problem(e) for e in body.get("errors") or []]
        data = body.get("data")
        if not isinstance(data, dict) and "RATE_LIMITED" in {p.kind for p in problems}:
            data = {}
        if not isinstance(data, dict):
            kinds = {p.kind for p in problems}
            detail = "; ".join(p.message for p in problems[:2]) or "no data"
            if kinds & {"FORBIDDEN", "SAML", "INSUFFICIENT_SCOPES"}:
                raise GitHubAuthError(f"GitHub's GraphQL API refused: {detail}", status=403)
            raise GitHubError(f"GitHub's GraphQL API answered with errors: {detail}")
        limit = data.get("rateLimit")
        if isinstance(limit, dict) and isinstance(limit.get("cost"), int):
            self.cost += limit["cost"]
        return Answer(data, problems)
