"""Simulated teams: org and enterprise teams, their members, sync mappings, groups and repos.

An org team answers its own read, its team-sync group mappings (GitHub's 403 texts for a
team without team synchronisation or for a token that may not see it), its EMU external
groups (GitHub's 400 texts elsewhere), its repositories, child teams, members and each
membership; removing a membership puts the seat that team granted into pending
cancellation, and adding it back restores the seat. An enterprise team answers its read
(with ``group_id`` and ``group_name`` when an IdP group is linked).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from reaper.simulator import enterprise_teams
from reaper.simulator import github_objects as objects
from reaper.simulator.github_http import REST_DOCS, error
from reaper.simulator.server import Response, json_response

if TYPE_CHECKING:
    from reaper.simulator.github_state import GitHubState
    from reaper.simulator.server import RecordedRequest

TEAMS_DOCS = "https://docs.github.com/rest/teams/team-sync"
NOT_EXTERNALLY_MANAGED = "This team is not externally managed"
SYNC_FORBIDDEN = "You must be an organization owner or team maintainer to view team sync status"
NOT_EMU = "This organization is not part of externally managed enterprise."
EXPLICIT_MEMBERS = "This team cannot be externally managed since it has explicit members."
SYNC_REMOVAL = "Cannot remove a member from a team that is managed by team synchronization."

_ORG_TEAM = re.compile(r"^/orgs/(?P<org>[^/]+)/teams/(?P<team>[^/]+)(?P<rest>/.*)?$")
_ENT_TEAM = re.compile(r"^/enterprises/(?P<ent>[^/]+)/teams/(?P<team>[^/]+)(?P<rest>/.*)?$")
_MEMBERSHIP = re.compile(r"^/memberships/(?P<user>[^/]+)$")


@dataclass
class Member:
    """One member of a simulated team."""

    login: str
    role: str = "member"
    state: str = "active"


@dataclass
class SimTeam:
    """One simulated team; ``org`` ``None`` for an enterprise team (``enterprise`` set).

    ``sync_groups`` ``None`` means the org has no team synchronisation (GitHub answers 403
    "not externally managed"); ``external_groups`` ``None`` means the org is not under
    Enterprise Managed Users (400). ``sync_forbidden`` answers the team-sync read with the
    403 a token that is no owner or maintainer gets.
    """

    slug: str
    org: str | None = None
    enterprise: str | None = None
    members: dict[str, Member] = field(default_factory=dict)
    children: list[str] = field(default_factory=list)
    repos: list[str] = field(default_factory=list)
    sync_groups: list[dict[str, str]] | None = None
    external_groups: list[dict[str, Any]] | None = None
    sync_forbidden: bool = False
    group_id: str | None = None
    group_name: str | None = None

    def add_member(self, login: str, role: str = "member", state: str = "active") -> Member:
        """Make ``login`` a member (replacing any membership they had)."""
        member = self.members[login.lower()] = Member(login, role, state)
        return member

    @property
    def key(self) -> str:
        """``org/slug`` or ``ent:slug``, case-folded."""
        return team_key(self.org, self.slug)


def team_key(org: str | None, slug: str) -> str:
    """The key of a team in ``GitHubState.teams``."""
    return f"{org}/{slug}".casefold() if org is not None else f"ent:{slug}".casefold()


def handles(path: str) -> bool:
    """Tell whether a path is a team endpoint this module answers."""
    return bool(_ORG_TEAM.match(path) or _ENT_TEAM.match(path))


def route(api: GitHubState, teams: dict[str, SimTeam], request: RecordedRequest) -> Response:
    """Answer a team request; 404 for a team that does not exist or a path not served."""
    if match := _ENT_TEAM.match(request.path):
        team = teams.get(team_key(None, match["team"]))
        if team is None or (team.enterprise or "").casefold() != match["ent"].casefold():
            return error(404, "Not Found", REST_DOCS)
        return enterprise_teams.route(api, team, request.method, match["rest"] or "", request)
    match = _ORG_TEAM.match(request.path)
    team = teams.get(team_key(match["org"], match["team"])) if match else None
    if match is None or team is None:
        return error(404, "Not Found", REST_DOCS)
    rest, method = match["rest"] or "", request.method
    if (method, rest) == ("GET", ""):
        return json_response(200, _team_full(api, teams, team))
    if (method, rest) == ("GET", "/team-sync/group-mappings"):
        if "ghs_" in request.headers.get("authorization", ""):  # not open to GitHub Apps
            return error(403, "Resource not accessible by integration", REST_DOCS)
        return _sync(team)
    if (method, rest) == ("GET", "/external-groups"):
        return _external(team)
    if (method, rest) == ("GET", "/repos"):
        return json_response(200, [_repo(team.org or "", name) for name in team.repos])
    if (method, rest) == ("GET", "/teams"):
        return json_response(200, [objects.team(team.org or "", c) for c in team.children])
    if (method, rest) == ("GET", "/members"):
        return _members_page(request, teams, team)
    if member := _MEMBERSHIP.match(rest):
        return _membership(api, teams, team, method, member["user"])
    return error(404, "Not Found", REST_DOCS)


def _sync(team: SimTeam) -> Response:
    if team.sync_forbidden:
        return error(403, SYNC_FORBIDDEN, TEAMS_DOCS)
    if team.sync_groups is None:
        return error(403, NOT_EXTERNALLY_MANAGED, TEAMS_DOCS)
    return json_response(200, {"groups": team.sync_groups})


def _external(team: SimTeam) -> Response:
    if team.external_groups is None:
        return error(400, NOT_EMU, TEAMS_DOCS)
    if not team.external_groups and team.members:
        return error(400, EXPLICIT_MEMBERS, TEAMS_DOCS)
    return json_response(200, {"groups": team.external_groups})


def _members_page(request: RecordedRequest, teams: dict[str, SimTeam], team: SimTeam) -> Response:
    """``GET …/members``: active members (child teams' too) with ``role``, a page at a time."""
    role = (request.query.get("role") or ["all"])[0]
    if role not in {"all", "member", "maintainer"}:
        return error(422, f"role must be one of all, member, maintainer, not {role!r}", REST_DOCS)
    found = [
        m for m in _all_members(teams, team) if m.state == "active" and role in {"all", m.role}
    ]
    try:
        page = max(1, int((request.query.get("page") or ["1"])[0]))
        per_page = min(100, max(1, int((request.query.get("per_page") or ["30"])[0])))
    except ValueError:
        return error(400, "Invalid page or per_page parameter", REST_DOCS)
    chunk = found[(page - 1) * per_page : page * per_page]
    headers = {}
    if page * per_page < len(found):
        query = urlencode({"role": role, "per_page": per_page, "page": page + 1})
        headers["Link"] = f'<{request.base_url}{request.path}?{query}>; rel="next"'
    return json_response(200, [objects.user(m.login) for m in chunk], headers)


def _all_members(teams: dict[str, SimTeam], team: SimTeam) -> list[Member]:
    """The team's members and its child teams' (GitHub lists both)."""
    found = dict(team.members)
    for child in team.children:
        sub = teams.get(team_key(team.org, child))
        for key, member in sub.members.items() if sub else ():
            found.setdefault(key, Member(member.login))
    return list(found.values())


def _membership(
    api: GitHubState, teams: dict[str, SimTeam], team: SimTeam, method: str, login: str
) -> Response:
    url = f"{objects.API}/organizations/{objects.stable_id('org', team.org or '')}"
    url += f"/team/{objects.stable_id('team', team.key)}/memberships/{login}"
    known = {m.login.lower(): m for m in _all_members(teams, team)}
    if method == "GET":
        found = known.get(login.lower())
        if found is None:
            return error(404, "Not Found", REST_DOCS)
        return json_response(200, {"url": url, "role": found.role, "state": found.state})
    if method == "DELETE":
        if team.sync_groups:
            return error(403, SYNC_REMOVAL, TEAMS_DOCS)
        if team.members.pop(login.lower(), None) is not None:
            _set_pending(api, team, login, objects.first_of_next_month(api.clock()).isoformat())
        return Response(204, {}, b"")
    if method == "PUT":
        if team.sync_groups:
            return error(403, SYNC_REMOVAL, TEAMS_DOCS)
        team.add_member(login)
        _set_pending(api, team, login, None)
        return json_response(200, {"url": url, "role": "member", "state": "active"})
    return error(404, "Not Found", REST_DOCS)


def _set_pending(api: GitHubState, team: SimTeam, login: str, pending: str | None) -> None:
    """Put the seat ``team`` granted ``login`` into (or out of) pending cancellation."""
    org = api.orgs.get((team.org or "").lower())
    if org is None:
        return
    record = org.find(login, team.slug)
    if record is not None and objects.team_of(record) == team.slug:
        record["pending_cancellation_date"] = pending


# The ``*_url`` links of a ``minimal-repository``, each ``{repo url}/{suffix}``.
_REPO_LINKS = {
    "archive": "{archive_format}{/ref}",
    "assignees": "assignees{/user}",
    "blobs": "git/blobs{/sha}",
    "branches": "branches{/branch}",
    "collaborators": "collaborators{/collaborator}",
    "comments": "comments{/number}",
    "commits": "commits{/sha}",
    "compare": "compare/{base}...{head}",
    "contents": "contents/{+path}",
    "contributors": "contributors",
    "deployments": "deployments",
    "downloads": "downloads",
    "events": "events",
    "forks": "forks",
    "git_commits": "git/commits{/sha}",
    "git_refs": "git/refs{/sha}",
    "git_tags": "git/tags{/sha}",
    "hooks": "hooks",
    "issue_comment": "issues/comments{/number}",
    "issue_events": "issues/events{/number}",
    "issues": "issues{/number}",
    "keys": "keys{/key_id}",
    "labels": "labels{/name}",
    "languages": "languages",
    "merges": "merges",
    "milestones": "milestones{/number}",
    "notifications": "notifications{?since,all,participating}",
    "pulls": "pulls{/number}",
    "releases": "releases{/id}",
    "stargazers": "stargazers",
    "statuses": "statuses/{sha}",
    "subscribers": "subscribers",
    "subscription": "subscription",
    "tags": "tags",
    "teams": "teams",
    "trees": "git/trees{/sha}",
}


def _repo(org: str, name: str) -> dict[str, Any]:
    """A ``minimal-repository`` object for ``org/name``."""
    number = objects.stable_id("repo", f"{org}/{name}")
    url = f"{objects.API}/repos/{org}/{name}"
    return {
        "id": number,
        "node_id": objects.node_id("010", "Repository", number),
        "name": name,
        "full_name": f"{org}/{name}",
        "private": True,
        "owner": objects.user(org),
        "html_url": f"{objects.WEB}/{org}/{name}",
        "description": None,
        "fork": False,
        "url": url,
        **{f"{key}_url": f"{url}/{suffix}" for key, suffix in _REPO_LINKS.items()},
    }


def _team_full(api: GitHubState, teams: dict[str, SimTeam], team: SimTeam) -> dict[str, Any]:
    """A ``team-full`` object: the team with its counts, dates and organisation."""
    org, now = team.org or "", objects.iso(api.clock())
    organization = {
        **objects.organization(org),
        "description": "",
        "html_url": f"{objects.WEB}/{org}",
        "has_organization_projects": True,
        "has_repository_projects": True,
        "public_repos": 0,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "type": "Organization",
        "created_at": now,
        "updated_at": now,
        "archived_at": None,
    }
    return {
        **objects.team(org, team.slug),
        "created_at": now,
        "updated_at": now,
        "members_count": len(_all_members(teams, team)),
        "repos_count": len(team.repos),
        "organization": organization,
    }
