"""The GitHub side: organisations and Copilot seats in memory, served like GitHub's REST API."""

from __future__ import annotations

import copy
import math
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from reaper.simulator import github_objects as objects
from reaper.simulator.server import Response, json_response, text_response

if TYPE_CHECKING:
    from collections.abc import Callable

    from reaper.simulator.server import RecordedRequest

DEFAULT_EDITOR = "vscode/1.95.0/copilot/1.250.0"
API_VERSIONS = ("2022-11-28", "2026-03-10")
DOCS = "https://docs.github.com/rest/copilot/copilot-user-management"
REST_DOCS = "https://docs.github.com/rest"
_NO_USER_AGENT = (
    "Request forbidden by administrative rules. Please make sure your request has a User-Agent "
    "header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required)."
)
_SEATS = re.compile(r"^/orgs/(?P<org>[^/]+)/copilot/billing/seats$")
_BILLING = re.compile(r"^/orgs/(?P<org>[^/]+)/copilot/billing$")
_MEMBER = re.compile(r"^/orgs/(?P<org>[^/]+)/members/(?P<user>[^/]+)/copilot$")
_USERS = re.compile(r"^/orgs/(?P<org>[^/]+)/copilot/billing/selected_users$")


def error(status: int, message: str, docs: str = DOCS) -> Response:
    """A GitHub ``basic-error`` response."""
    return json_response(
        status, {"message": message, "documentation_url": docs, "status": str(status)}
    )


@dataclass
class Org:
    """One organisation's Copilot subscription and its seat records, in list order."""

    login: str
    seat_management_setting: str
    plan_type: str
    public_code_suggestions: str
    seats: list[Any] = field(default_factory=list)

    def find(self, login: str) -> dict[str, Any] | None:
        """The seat record of ``login`` (case-insensitive), if any."""
        wanted = login.lower()
        for record in self.seats:
            name = objects.login_of(record)
            if name is not None and name.lower() == wanted:
                assert isinstance(record, dict)
                return record
        return None


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
        self.lock = threading.RLock()
        self.orgs: dict[str, Org] = {}
        self._used = 0
        self._reset: datetime | None = None

    # -- state -------------------------------------------------------------------------------

    def org(self, login: str) -> Org:
        """The organisation named ``login``; ``KeyError`` if it was never added."""
        try:
            return self.orgs[login.lower()]
        except KeyError:
            raise KeyError(f"unknown org {login!r}: call add_org() first") from None

    def add_org(
        self,
        login: str,
        *,
        seat_management_setting: str = "assign_selected",
        plan_type: str = "business",
        public_code_suggestions: str = "block",
    ) -> None:
        """Create an organisation with a Copilot subscription and no seats."""
        with self.lock:
            if login.lower() in self.orgs:
                raise ValueError(f"org {login!r} already exists")
            self.orgs[login.lower()] = Org(
                login, seat_management_setting, plan_type, public_code_suggestions
            )

    def add_seat(self, org: str, login: str, **fields: Any) -> dict[str, Any]:
        """Give ``login`` a seat in ``org``; see ``Simulator.add_seat`` for the fields."""
        with self.lock:
            owner = self.org(org)
            if owner.find(login) is not None:
                raise ValueError(f"{login!r} already has a seat in {org!r}")
            record = objects.seat(
                owner.login,
                login,
                created_at=fields.get("created_at") or self.clock(),
                last_activity_at=fields.get("last_activity_at"),
                team_slug=fields.get("team"),
                plan_type=fields.get("plan_type") or owner.plan_type,
                editor=fields.get("editor", DEFAULT_EDITOR),
                pending_cancellation_date=fields.get("pending_cancellation_date"),
            )
            owner.seats.append(record)
            return copy.deepcopy(record)

    def set_activity(self, org: str, login: str, at: datetime, editor: str | None) -> None:
        """Record that ``login`` used Copilot at ``at``."""
        with self.lock:
            record = self._existing(org, login)
            record["last_activity_at"] = record["last_authenticated_at"] = objects.iso(at)
            record["updated_at"] = objects.iso(at)
            record["last_activity_editor"] = editor or DEFAULT_EDITOR

    def remove_seat(self, org: str, login: str) -> None:
        """Take ``login``'s seat away entirely, as if the cancellation took effect."""
        with self.lock:
            owner = self.org(org)
            owner.seats.remove(self._existing(org, login))

    def _existing(self, org: str, login: str) -> dict[str, Any]:
        record = self.org(org).find(login)
        if record is None:
            raise KeyError(f"{login!r} has no seat in {org!r}")
        return record

    # -- HTTP --------------------------------------------------------------------------------

    def handle(self, request: RecordedRequest) -> Response:
        """Answer one GitHub API request."""
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
            limit_headers, exhausted = self._count_request()
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

    def _count_request(self) -> tuple[dict[str, str], bool]:
        now = self.clock()
        if self._reset is None or now >= self._reset:
            self._reset = now.replace(microsecond=0) + timedelta(hours=1)
            self._used = 0
        self._used += 1
        exhausted = self._used > self.rate_limit
        used = min(self._used, self.rate_limit)
        headers = {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(self.rate_limit - used),
            "X-RateLimit-Used": str(used),
            "X-RateLimit-Reset": str(int(self._reset.timestamp())),
            "X-RateLimit-Resource": "core",
        }
        return headers, exhausted

    def _authorised(self, request: RecordedRequest) -> Response:
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        if not credential:
            return error(401, "Requires authentication", REST_DOCS)
        if scheme.lower() not in ("bearer", "token") or credential.strip() != self.token:
            return error(401, "Bad credentials", REST_DOCS)
        return self._route(request)

    def _route(self, request: RecordedRequest) -> Response:
        method, path = request.method, request.path
        if method == "GET" and (match := _SEATS.match(path)):
            return self._list_seats(request, match["org"])
        if method == "GET" and (match := _BILLING.match(path)):
            return self._billing(match["org"])
        if method == "GET" and (match := _MEMBER.match(path)):
            return self._member_seat(match["org"], match["user"])
        if method in ("POST", "DELETE") and (match := _USERS.match(path)):
            return self._selected_users(request, match["org"])
        return error(404, "Not Found", REST_DOCS)

    def _list_seats(self, request: RecordedRequest, org_name: str) -> Response:
        org = self.orgs.get(org_name.lower())
        if org is None:
            return error(404, "Not Found")
        try:
            page = max(1, int(request.query.get("page", ["1"])[0] or 1))
            per_page = min(100, max(1, int(request.query.get("per_page", ["50"])[0] or 50)))
        except ValueError:
            return error(400, "Invalid page or per_page parameter")
        total = len(org.seats)
        start = (page - 1) * per_page
        body = {"total_seats": total, "seats": copy.deepcopy(org.seats[start : start + per_page])}
        last = max(1, math.ceil(total / per_page))
        links: list[tuple[str, int]] = []
        if page > 1:
            links.append(("prev", min(page - 1, last)))
        if page < last:
            links += [("next", page + 1), ("last", last)]
        if page > 1:
            links.append(("first", 1))
        headers = {"Link": self._link_header(request, links)} if links else {}
        return json_response(200, body, headers)

    def _link_header(self, request: RecordedRequest, links: list[tuple[str, int]]) -> str:
        kept = [(k, v) for k, values in request.query.items() if k != "page" for v in values]
        base = f"{self.base_url()}{request.path}"
        return ", ".join(
            f'<{base}?{urlencode([*kept, ("page", str(number))])}>; rel="{rel}"'
            for rel, number in links
        )

    def _billing(self, org_name: str) -> Response:
        org = self.orgs.get(org_name.lower())
        if org is None:
            return error(404, "Not Found")
        return json_response(
            200,
            {
                "seat_breakdown": objects.seat_breakdown(org.seats, self.clock()),
                "public_code_suggestions": org.public_code_suggestions,
                "ide_chat": "enabled",
                "platform_chat": "enabled",
                "cli": "enabled",
                "seat_management_setting": org.seat_management_setting,
                "plan_type": org.plan_type,
            },
        )

    def _member_seat(self, org_name: str, login: str) -> Response:
        org = self.orgs.get(org_name.lower())
        record = org.find(login) if org else None
        if record is None:
            return error(404, "Not Found")
        return json_response(200, copy.deepcopy(record))

    def _selected_users(self, request: RecordedRequest, org_name: str) -> Response:
        org = self.orgs.get(org_name.lower())
        if org is None:
            return error(404, "Not Found")
        if request.body and request.json is None:
            return error(400, "Problems parsing JSON", REST_DOCS)
        names = request.json.get("selected_usernames") if isinstance(request.json, dict) else None
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            return error(
                422,
                'Invalid request.\n\n"selected_usernames" must be a non-empty array of strings.',
            )
        if org.seat_management_setting != "assign_selected":
            return error(422, "Copilot seat management is not set to assign selected users.")
        if request.method == "POST":
            return self._add_users(org, names)
        records = [r for r in (org.find(n) for n in names) if r is not None]
        teamed = [r for r in records if r.get("assigning_team")]
        if teamed:
            who = ", ".join(str(objects.login_of(r)) for r in teamed)
            return error(
                422,
                f"Seat was assigned through a team and cannot be cancelled individually: {who}. "
                "Remove the user from the team or the team from Copilot instead.",
            )
        pending = objects.first_of_next_month(self.clock()).isoformat()
        cancelled = 0
        for record in records:
            if not record.get("pending_cancellation_date"):
                record["pending_cancellation_date"] = pending
                cancelled += 1
        return json_response(200, {"seats_cancelled": cancelled})

    def _add_users(self, org: Org, names: list[str]) -> Response:
        created = 0
        for name in dict.fromkeys(names):
            record = org.find(name)
            if record is None:
                self.add_seat(org.login, name, created_at=self.clock())
                created += 1
            elif record.get("pending_cancellation_date"):
                record["pending_cancellation_date"] = None  # adding again restores the seat
                created += 1
        return json_response(201, {"seats_created": created})
