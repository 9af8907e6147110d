"""GitHub's team-membership writes: remove a person from a team, and put them back.

An org team: ``DELETE`` / ``PUT /orgs/{org}/teams/{slug}/memberships/{login}``. An enterprise
team: ``POST /enterprises/{e}/teams/{slug}/memberships/remove`` with ``{"usernames": [...]}``
in chunks of at most 100, and ``PUT …/memberships/{login}`` to put one back. A 403 naming team
synchronisation (what an App token, which cannot read team sync, learns on its first removal)
is ``TeamSyncManagedError``: the team is IdP-managed. The session paces the writes (a second
apart, within the hourly budget) as it does cancels.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import quote

from reaper.errors import BadResponseError, GitHubAuthError
from reaper.github.answers import json_body
from reaper.github.teams import team_path

if TYPE_CHECKING:
    from collections.abc import Callable

    import httpx

    from reaper.core.teams import TeamRef
    from reaper.github.session import GitHubSession

#: Most usernames GitHub takes in one bulk enterprise-team request.
BULK_LIMIT = 100
#: Words of a 403 that say an identity provider manages the team.
SYNC_WORDS = ("team synchronization", "team synchronisation", "identity provider")


class TeamSyncManagedError(GitHubAuthError):
    """GitHub refused a membership write because an identity provider manages the team."""


def remove_member(
    session: GitHubSession, ref: TeamRef, login: str, *, enterprise: str | None = None
) -> None:
    """Remove ``login`` from ``ref`` (204); a 404 would mean no membership and is raised."""
    path = f"{team_path(ref, enterprise)}/memberships/{quote(login, safe='')}"
    _translated(lambda: session.request("DELETE", path))


def remove_members(
    session: GitHubSession, ref: TeamRef, logins: list[str], *, enterprise: str | None
) -> set[str]:
    """Remove ``logins`` from an enterprise team, 100 a request; the logins GitHub removed.

    Logins are returned case-folded, as GitHub listed them.
    """
    removed: set[str] = set()
    path = f"{team_path(ref, enterprise)}/memberships/remove"
    for start in range(0, len(logins), BULK_LIMIT):
        chunk = logins[start : start + BULK_LIMIT]
        response = _translated(partial(session.request, "POST", path, json={"usernames": chunk}))
        body = json_body(response)
        if not isinstance(body, list):
            raise BadResponseError(f"the removal answer of team {ref.label} is not a list")
        removed |= {str(u.get("login")).casefold() for u in body if isinstance(u, dict)}
    return removed


def add_member(
    session: GitHubSession, ref: TeamRef, login: str, *, enterprise: str | None = None
) -> None:
    """Put ``login`` back into ``ref`` as a member (an org team: role ``member``)."""
    path = f"{team_path(ref, enterprise)}/memberships/{quote(login, safe='')}"
    body = None if ref.enterprise else {"role": "member"}
    _translated(lambda: session.request("PUT", path, json=body))


def _translated(send: Callable[[], httpx.Response]) -> httpx.Response:
    """Run ``send``; a 403 naming team synchronisation becomes ``TeamSyncManagedError``."""
    try:
        return send()
    except GitHubAuthError as exc:
        if exc.status == 403 and any(word in str(exc).casefold() for word in SYNC_WORDS):
            raise TeamSyncManagedError(str(exc), status=403) from None
        raise
