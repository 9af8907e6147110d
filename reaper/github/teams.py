"""GitHub's team endpoints: what the reaper reads about a team before removing anyone from it.

``read_team_facts`` reads, once a cycle per named team, whether it exists, whether an
identity provider keeps it in sync (team-sync group mappings, EMU external groups, an
enterprise team's ``group_id``), the repositories it grants and its child teams, and turns
GitHub's answers into ``reaper.core.teams.TeamFacts`` for the pure decision. ``membership``
reads one person's membership. GitHub's own error texts decide what an answer means; any
answer not known to mean "not synced" is "unknown", and nothing is written to such a team.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from reaper.core.teams import Membership, TeamFacts, TeamRef
from reaper.errors import BadResponseError, GitHubError, GitHubNotFoundError
from reaper.github.answers import json_body

if TYPE_CHECKING:
    from reaper.github.session import GitHubSession

#: GitHub's 403 for a team in an org without team synchronisation: not synced.
NOT_EXTERNALLY_MANAGED = "not externally managed"
#: GitHub's 403 to an App token: team sync is not open to Apps. A synced team then shows
#: itself by refusing the removal (``TeamSyncManagedError``), and is remembered.
NOT_OPEN_TO_APPS = "resource not accessible by integration"
#: GitHub's 400s of the external-groups read that mean "no linked group".
NO_EXTERNAL_GROUP = ("not part of externally managed enterprise", "cannot be externally managed")
#: Most pages of a team's repositories or child teams read (100 each).
MAX_PAGES = 50


class TeamNotFoundError(GitHubNotFoundError):
    """A team named in ``REAPER_RECLAIM_TEAMS`` does not exist, or the token cannot see it."""


def team_path(ref: TeamRef, enterprise: str | None) -> str:
    """The API path of a team: ``orgs/{org}/teams/{slug}`` or ``enterprises/{e}/teams/{slug}``."""
    slug = quote(ref.slug, safe="")
    if ref.org is not None:
        return f"orgs/{quote(ref.org, safe='')}/teams/{slug}"
    return f"enterprises/{quote(enterprise or '', safe='')}/teams/{slug}"


def read_team_facts(
    session: GitHubSession, ref: TeamRef, *, enterprise: str | None = None
) -> TeamFacts:
    """Read what the refusals need to know about ``ref``; ``TeamNotFoundError`` when unseen."""
    base = team_path(ref, enterprise)
    try:
        team = json_body(session.request("GET", base))
    except GitHubNotFoundError:
        raise TeamNotFoundError(f"team {ref.label} was not found (404)", status=404) from None
    if not isinstance(team, dict):
        raise BadResponseError(f"team {ref.label} is not a team object")
    if ref.enterprise:
        return _enterprise_facts(ref, team)
    count = team.get("members_count")
    facts = replace(
        _sync_facts(session, ref, base), members=count if isinstance(count, int) else None
    )
    external = _external_groups(session, base)
    if external is None:
        facts = replace(
            facts, sync="unknown", unknown_reason="its external groups could not be read"
        )
    else:
        facts = replace(facts, external_groups=external)
    try:
        repos = len(_pages(session, f"{base}/repos"))
    except GitHubError:
        repos = None
    try:
        children = tuple(str(t.get("slug")) for t in _pages(session, f"{base}/teams"))
    except GitHubError:
        children = ()
        facts = replace(facts, sync="unknown", unknown_reason="its child teams could not be read")
    return replace(facts, repositories=repos, child_teams=children)


def token_scopes(
    session: GitHubSession, ref: TeamRef, *, enterprise: str | None = None
) -> set[str] | None:
    """The scopes of a classic token (``X-OAuth-Scopes``), read on a request for ``ref``.

    ``None`` for a token that has no scopes (fine-grained, App) or when the read fails.
    """
    try:
        response = session.request("GET", team_path(ref, enterprise))
    except GitHubError:
        return None
    header = response.headers.get("x-oauth-scopes")
    if header is None:
        return None
    return {scope.strip() for scope in header.split(",") if scope.strip()}


def child_team_members(session: GitHubSession, ref: TeamRef, child: str) -> set[str]:
    """The logins (case-folded) of the members of ``ref``'s child team ``child``."""
    base = team_path(TeamRef(slug=child, org=ref.org), None)
    return {
        str(user.get("login")).casefold()
        for user in _pages(session, f"{base}/members")
        if isinstance(user, dict)
    }


def members_by_role(session: GitHubSession, ref: TeamRef, role: str) -> set[str]:
    """The logins (case-folded) of an org team's active members with ``role`` on the team.

    GitHub lists the members of child teams too, and no pending invitation.
    """
    base = team_path(ref, None)
    return {
        str(user.get("login")).casefold()
        for user in _pages(session, f"{base}/members", f"&role={role}")
        if isinstance(user, dict)
    }


def membership(
    session: GitHubSession, ref: TeamRef, login: str, enterprise: str | None = None
) -> Membership:
    """Read ``login``'s membership of ``ref``: role and state, or not found (404)."""
    path = f"{team_path(ref, enterprise)}/memberships/{quote(login, safe='')}"
    try:
        body = json_body(session.request("GET", path))
    except GitHubNotFoundError:
        return Membership(found=False)
    if not isinstance(body, dict):
        raise BadResponseError(f"membership of {login} in team {ref.label} is not an object")
    role, state = body.get("role", "member"), body.get("state", "active")
    return Membership(found=True, role=str(role), state=str(state))


def _sync_facts(session: GitHubSession, ref: TeamRef, base: str) -> TeamFacts:
    try:
        body = json_body(session.request("GET", f"{base}/team-sync/group-mappings"))
    except GitHubError as exc:
        if exc.status == 403 and NOT_EXTERNALLY_MANAGED in str(exc):
            return TeamFacts(ref=ref, sync="not_synced")
        if exc.status == 403 and NOT_OPEN_TO_APPS in str(exc).casefold():
            return TeamFacts(ref=ref, sync="not_synced")  # an App: the removal will tell
        return TeamFacts(ref=ref, sync="unknown", unknown_reason=str(exc))
    groups = body.get("groups") if isinstance(body, dict) else None
    if not isinstance(groups, list):
        return TeamFacts(ref=ref, sync="unknown", unknown_reason="team sync answer has no groups")
    names = tuple(_group_name(g) for g in groups)
    return TeamFacts(ref=ref, sync="synced" if names else "not_synced", idp_groups=names)


def _external_groups(session: GitHubSession, base: str) -> tuple[str, ...] | None:
    """The EMU groups linked to the team; ``()`` for none; ``None`` when unknown."""
    try:
        body = json_body(session.request("GET", f"{base}/external-groups"))
    except GitHubError as exc:
        if exc.status == 400 and any(text in str(exc) for text in NO_EXTERNAL_GROUP):
            return ()
        return None
    groups = body.get("groups") if isinstance(body, dict) else None
    if not isinstance(groups, list):
        return None
    return tuple(_group_name(g) for g in groups)


def _enterprise_facts(ref: TeamRef, team: dict[str, Any]) -> TeamFacts:
    group_id, group_name = team.get("group_id"), team.get("group_name")
    if group_id is None:
        return TeamFacts(ref=ref)
    return TeamFacts(ref=ref, sync="synced", idp_groups=(str(group_name or group_id),))


def _group_name(group: object) -> str:
    """A group by its name, or its id where GitHub gives no name."""
    if not isinstance(group, dict):
        return "?"
    name = group.get("group_name")
    return str(name) if name else str(group.get("group_id", "?"))


def _pages(session: GitHubSession, path: str, query: str = "") -> list[Any]:
    """Every item of a list endpoint, 100 a page, following ``Link: rel="next"``."""
    items: list[Any] = []
    url: str | None = f"{path}?per_page=100{query}"
    for _ in range(MAX_PAGES):
        if url is None:
            return items
        response = session.request("GET", url)
        body = json_body(response)
        if not isinstance(body, list):
            raise BadResponseError(f"{path} is not a list")
        items.extend(body)
        url = response.links.get("next", {}).get("url")
        if url is not None and not url.startswith(str(session.base).rstrip("/") + "/"):
            raise BadResponseError("the next-page link points at another host")
    raise BadResponseError(f"{path} has more than {MAX_PAGES} pages")
