"""Simulated enterprise teams: the team (with its IdP ``group_id``) and its memberships.

An enterprise team has no maintainers and no child teams. A membership is read, added and
removed one at a time (``GET|PUT|DELETE …/memberships/{username}``) or in bulk (``POST
…/memberships/remove`` with ``{"usernames": [...]}``, at most 100); removing one puts the seat
the team granted into pending cancellation, adding it back restores it. A team linked to an
IdP group refuses both (403).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Protocol

from reaper.simulator import github_objects as objects
from reaper.simulator.github_http import REST_DOCS, error
from reaper.simulator.server import Response, json_response

if TYPE_CHECKING:
    from reaper.simulator.github_state import GitHubState
    from reaper.simulator.server import RecordedRequest


class SimTeam(Protocol):
    """What this module needs of a ``reaper.simulator.teams.SimTeam``."""

    slug: str
    enterprise: str | None
    members: dict[str, Any]
    group_id: str | None
    group_name: str | None

    def add_member(self, login: str) -> object:
        """Make ``login`` a member."""


#: Most usernames one bulk request may carry.
BULK_LIMIT = 100
IDP_MANAGED = "This enterprise team is managed by an identity provider group."
_ONE = re.compile(r"^/memberships/(?P<user>[^/]+)$")


def route(
    api: GitHubState, team: SimTeam, method: str, rest: str, request: RecordedRequest
) -> Response:
    """Answer a request to an existing enterprise team; 404 for a path not served."""
    if (method, rest) == ("GET", ""):
        body = objects.enterprise_team(team.enterprise or "", team.slug, api.clock())
        return json_response(
            200, {**body, "group_id": team.group_id, "group_name": team.group_name}
        )
    if (method, rest) == ("POST", "/memberships/remove"):
        names = request.json.get("usernames") if isinstance(request.json, dict) else None
        if not isinstance(names, list) or not 0 < len(names) <= BULK_LIMIT:
            return error(422, f"usernames must hold 1 to {BULK_LIMIT} logins", REST_DOCS)
        if team.group_id is not None:
            return error(403, IDP_MANAGED, REST_DOCS)
        removed = [str(n) for n in names if _remove(api, team, str(n))]
        return json_response(200, [objects.user(n) for n in removed])
    if one := _ONE.match(rest):
        return _one(api, team, method, one["user"])
    return error(404, "Not Found", REST_DOCS)


def _one(api: GitHubState, team: SimTeam, method: str, login: str) -> Response:
    if method == "GET":
        member = team.members.get(login.lower())
        if member is None:
            return error(404, "Not Found", REST_DOCS)
        return json_response(200, objects.user(member.login))
    if method in ("PUT", "DELETE") and team.group_id is not None:
        return error(403, IDP_MANAGED, REST_DOCS)
    if method == "DELETE":
        _remove(api, team, login)
        return Response(204, {}, b"")
    if method == "PUT":
        team.add_member(login)
        _pending(api, team, login, None)
        return json_response(201, objects.user(login))
    return error(404, "Not Found", REST_DOCS)


def _remove(api: GitHubState, team: SimTeam, login: str) -> bool:
    if team.members.pop(login.lower(), None) is None:
        return False
    _pending(api, team, login, objects.first_of_next_month(api.clock()).isoformat())
    return True


def _pending(api: GitHubState, team: SimTeam, login: str, pending: Any) -> None:
    """Put the enterprise seat ``team`` granted ``login`` into (or out of) pending cancellation."""
    enterprise = api.enterprises.get((team.enterprise or "").lower())
    record = enterprise.find(login, team.slug) if enterprise else None
    if record is not None and objects.team_of(record) == team.slug:
        record["pending_cancellation_date"] = pending
