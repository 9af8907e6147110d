"""The GitHub side: orgs, enterprises and Copilot seats in memory, served like GitHub's API.

The org endpoints are answered in ``reaper.simulator.orgs``, the enterprise ones in
``reaper.simulator.enterprise``; both are typed against ``github_state.GitHubState``.
"""

from __future__ import annotations

import copy
import threading
import uuid
from typing import TYPE_CHECKING, Any

from reaper.core.domain import is_enterprise, scope_name
from reaper.simulator import enterprise as enterprise_api
from reaper.simulator import github_objects as objects
from reaper.simulator import orgs as org_api
from reaper.simulator import teams as teams_api
from reaper.simulator import usage_reports as usage_api
from reaper.simulator.apps import AppRegistry
from reaper.simulator.github_http import DOCS, REST_DOCS, error
from reaper.simulator.scopes import Enterprise, Org
from reaper.simulator.server import Response, text_response

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from reaper.simulator.server import RecordedRequest

__all__ = ["API_VERSIONS", "DEFAULT_EDITOR", "DOCS", "Enterprise", "GitHubApi", "Org", "error"]

DEFAULT_EDITOR = "vscode/1.95.0/copilot/1.250.0"
API_VERSIONS = ("2022-11-28", "2026-03-10")
_NO_USER_AGENT = (
    "Request forbidden by administrative rules. Please make sure your request has a User-Agent "
    "header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required)."
)


class GitHubApi:
    """In-memory Copilot seat state plus the request handlers that serve it."""

    def __init__(
        self,
        *,
        token: str,
        clock: Callable[[], datetime],
        base_url: Callable[[], str],
        rate_limit: int = 5000,
    ) -> None:
        self.token = token
        self.clock = clock
        self.base_url = base_url
        self.rate_limit = rate_limit
        self.billing_cycle_day = 1  # pending cancellations end on this day of a month
        self.lock = threading.RLock()
        self.orgs: dict[str, Org] = {}
        self.enterprises: dict[str, Enterprise] = {}
        self.apps = AppRegistry(clock)
        self.teams: dict[str, teams_api.SimTeam] = {}
        self.usage = usage_api.UsageReports(clock, base_url, self._exists)

    # -- state -------------------------------------------------------------------------------

    def org(self, login: str) -> Org:
        """The organisation named ``login``; ``KeyError`` if it was never added."""
        try:
            return self.orgs[login.lower()]
        except KeyError:
            raise KeyError(f"unknown org {login!r}: call add_org() first") from None

    def enterprise(self, slug: str) -> Enterprise:
        """The enterprise ``slug``; ``KeyError`` if it was never added."""
        try:
            return self.enterprises[slug.lower()]
        except KeyError:
            raise KeyError(f"unknown enterprise {slug!r}: call add_enterprise() first") from None

    def holder(self, scope: str) -> Org | Enterprise:
        """Where the grants of a scope key live: an org login, or ``enterprise:<slug>``."""
        return self.enterprise(scope_name(scope)) if is_enterprise(scope) else self.org(scope)

    def add_enterprise(self, slug: str, *, plan_type: str = "enterprise") -> None:
        """Create an enterprise with no member orgs and no enterprise-level grants."""
        with self.lock:
            if slug.lower() in self.enterprises:
                raise ValueError(f"enterprise {slug!r} already exists")
            self.enterprises[slug.lower()] = Enterprise(slug, plan_type)

    def add_team(self, slug: str, **fields: Any) -> teams_api.SimTeam:
        """Create an org team (``org=``) or an enterprise team (``enterprise=``)."""
        with self.lock:
            team = teams_api.SimTeam(slug, **fields)
            self.teams[team.key] = team
            return team

    def add_org(
        self,
        login: str,
        *,
        seat_management_setting: str = "assign_selected",
        plan_type: str = "business",
        public_code_suggestions: str = "block",
        enterprise: str | None = None,
    ) -> None:
        """Create an organisation with a Copilot subscription and no seats."""
        with self.lock:
            if login.lower() in self.orgs:
                raise ValueError(f"org {login!r} already exists")
            owner = self.enterprise(enterprise) if enterprise is not None else None
            self.orgs[login.lower()] = Org(
                login,
                seat_management_setting,
                plan_type,
                public_code_suggestions,
                enterprise=None if owner is None else owner.slug,
            )
            if owner is not None:
                owner.orgs.append(login.lower())

    def add_seat(self, scope: str, login: str, **fields: Any) -> dict[str, Any]:
        """Give ``login`` a seat in ``scope``; see ``Simulator.add_seat`` for the fields."""
        with self.lock:
            owner = self.holder(scope)
            team = fields.get("team") or None
            common = {
                "created_at": fields.get("created_at") or self.clock(),
                "last_activity_at": fields.get("last_activity_at"),
                "team_slug": team,
                "plan_type": fields.get("plan_type") or owner.plan_type,
                "editor": fields.get("editor", DEFAULT_EDITOR),
                "pending_cancellation_date": fields.get("pending_cancellation_date"),
            }
            if isinstance(owner, Enterprise):
                if any(
                    (objects.team_of(r) or "").lower() == (team or "").lower()
                    for r in owner.grants(login)
                ):
                    how = f"through {team!r}" if team else "directly"
                    raise ValueError(f"{login!r} already has a seat {how} in {scope!r}")
                record = objects.seat(None, login, enterprise=owner.slug, **common)
            else:
                if owner.find(login) is not None:
                    raise ValueError(f"{login!r} already has a seat in {scope!r}")
                record = objects.seat(owner.login, login, **common)
            owner.add(record)
            return copy.deepcopy(record)

    def set_activity(
        self, scope: str, login: str, at: datetime, editor: str | None, team: str | None = None
    ) -> None:
        """Record that ``login`` used Copilot at ``at`` (on the grant ``team`` picks)."""
        with self.lock:
            record = self.existing(scope, login, team)
            record["last_activity_at"] = record["last_authenticated_at"] = objects.iso(at)
            record["updated_at"] = objects.iso(at)
            record["last_activity_editor"] = editor or DEFAULT_EDITOR

    def remove_seat(self, scope: str, login: str, team: str | None = None) -> None:
        """Take ``login``'s seat away entirely, as if the cancellation took effect."""
        with self.lock:
            self.holder(scope).drop(self.existing(scope, login, team))

    def existing(self, scope: str, login: str, team: str | None = None) -> dict[str, Any]:
        """The record of ``login`` in ``scope`` (see ``scopes.pick``); ``KeyError`` if none."""
        record = self.holder(scope).find(login, team)
        if record is None:
            through = f" through {team!r}" if team else ""
            raise KeyError(f"{login!r} has no seat{through} in {scope!r}")
        return record

    # -- HTTP --------------------------------------------------------------------------------

    def handle(self, request: RecordedRequest) -> Response:
        """Answer one GitHub API request (or a usage report file: signed, no token)."""
        if request.path.startswith(usage_api.FILES):
            return self.usage.serve_file(request)
        if not request.headers.get("user-agent"):
            return text_response(403, _NO_USER_AGENT)
        version = request.headers.get("x-github-api-version", API_VERSIONS[0])
        if version not in API_VERSIONS:
            return error(
                400,
                f"API version {version} is not supported.",
                "https://docs.github.com/rest/about-the-rest-api/api-versions",
            )
        with self.lock:
            limit_headers, exhausted = self._count_request(request)
            if exhausted:
                response = error(
                    403,
                    "API rate limit exceeded for user ID 1.",
                    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                )
            else:
                response = self._authorised(request)
        headers = {
            **limit_headers,
            "X-GitHub-Api-Version-Selected": version,
            "X-GitHub-Media-Type": "github.v3; format=json",
            "X-GitHub-Request-Id": uuid.uuid4().hex[:20].upper(),
            **response.headers,
        }
        return Response(response.status, headers, response.body)

    def _count_request(self, request: RecordedRequest) -> tuple[dict[str, str], bool]:
        credential = request.headers.get("authorization", "").partition(" ")[2].strip()
        found = None if credential == self.token else self.apps.bucket(credential)
        return self.apps.rate_buckets.count(*(found or ("token", self.rate_limit)))

    def _authorised(self, request: RecordedRequest) -> Response:
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        if not credential:
            return error(401, "Requires authentication", REST_DOCS)
        credential = credential.strip()
        if scheme.lower() not in ("bearer", "token"):
            return error(401, "Bad credentials", REST_DOCS)
        if credential != self.token:
            return self._as_app(request, credential)
        return self._route(request)

    def _as_app(self, request: RecordedRequest, credential: str) -> Response:
        """A JWT, or an installation token (valid on its own org's endpoints only)."""
        if credential.startswith("eyJ"):
            return self.apps.answer_jwt(request, credential)
        issued = self.apps.token_holder(credential)
        if issued is None:
            return error(401, "Bad credentials", REST_DOCS)
        org = issued.installation.org.lower()
        if not request.path.lower().startswith(f"/orgs/{org}/"):
            return error(403, "Resource not accessible by integration", REST_DOCS)
        if usage_api.handles(request.path) and usage_api.PERMISSION not in issued.permissions:
            return error(403, "Resource not accessible by integration", REST_DOCS)
        return self._route(request)

    def _exists(self, scope: str) -> bool:
        with self.lock:
            try:
                self.holder(scope)
            except KeyError:
                return False
            return True

    def _route(self, request: RecordedRequest) -> Response:
        if usage_api.handles(request.path):
            return self.usage.route(request)
        if teams_api.handles(request.path):
            return teams_api.route(self, self.teams, request)
        if request.path.startswith(enterprise_api.PREFIX):
            return enterprise_api.route(self, request)
        return org_api.route(self, request)
