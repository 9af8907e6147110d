"""The teams of ``REAPER_RECLAIM_TEAMS`` at start-up and in ``reaper check``.

A named team that does not exist, or that the token cannot see, stops ``reaper once`` and
``reaper run`` before any cycle (exit 2, naming it); ``reaper check`` shows each team with
what the reaper would do there: remove idle members, or refuse and why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reaper.app.wiring import github_client
from reaper.core.teams import team_refusal
from reaper.errors import GitHubAuthError, GitHubError
from reaper.github.app_permissions import team_permission_problem
from reaper.github.teams import TeamNotFoundError, read_team_facts, token_scopes

if TYPE_CHECKING:
    from reaper.config.settings import Settings
    from reaper.core.teams import TeamRef
    from reaper.github.client import GitHubClient

#: What removing a member needs, said when the token lacks it.
MEMBERS_PERMISSION = (
    "removing a team member needs admin:org on a classic token, or the organisation "
    'permission "Members" (write) for a GitHub App or fine-grained token'
)


def unseen(ref: TeamRef, exc: GitHubError) -> str:
    """The sentence for a named team the token cannot see."""
    how = "was not found (404)" if isinstance(exc, TeamNotFoundError) else f"cannot be read ({exc})"
    return (
        f"REAPER_RECLAIM_TEAMS: team {ref.label} {how}: check the name (ORG/TEAM_SLUG or "
        "ent:TEAM_SLUG) and that the token can see the team"
    )


def unseen_teams(settings: Settings, client: GitHubClient) -> list[str]:
    """One sentence per named team that does not exist or that the token may not read."""
    problems = []
    for ref in settings.reclaim_team_refs:
        try:
            read_team_facts(client.session, ref, enterprise=settings.github_enterprise)
        except (TeamNotFoundError, GitHubAuthError) as exc:
            problems.append(unseen(ref, exc))
        except GitHubError:
            continue  # GitHub unavailable: the cycle reports it; not a configuration error
    return problems


def team_lines(settings: Settings, client: GitHubClient) -> list[tuple[bool | None, str]]:
    """``reaper check``'s lines: each team and what will happen there (a refusal warns)."""
    lines: list[tuple[bool | None, str]] = []
    for ref in settings.reclaim_team_refs:
        try:
            facts = read_team_facts(client.session, ref, enterprise=settings.github_enterprise)
        except (TeamNotFoundError, GitHubAuthError) as exc:
            lines.append((False, unseen(ref, exc)))
            continue
        except GitHubError as exc:
            lines.append((False, f"team {ref.label} could not be read: {exc}"))
            continue
        refusal = team_refusal(facts)
        if refusal is not None:
            lines.append((None, f"{refusal.text} (refused: {refusal.code})"))
        else:
            lines.append((True, f"team {ref.label}: idle members can be removed from it"))
        lacking = team_permission_problem(client.auth, ref.org) if ref.org else None
        if lacking is not None:
            lines.append((False, f"team {ref.label}: {lacking}"))
        scopes = token_scopes(client.session, ref, enterprise=settings.github_enterprise)
        if scopes is not None and "admin:org" not in scopes and ref.org:
            have = ", ".join(sorted(scopes)) or "none"
            lines.append(
                (False, f"team {ref.label}: the token has scopes {have}; {MEMBERS_PERMISSION}")
            )
    return lines


def check_teams(settings: Settings) -> list[tuple[bool | None, str]]:
    """``team_lines`` with a client of its own (quick retries, as ``reaper check``'s)."""
    with github_client(settings, max_attempts=2, max_wait=30) as client:
        return team_lines(settings, client)


def startup_problems(settings: Settings) -> list[str]:
    """``unseen_teams`` with a client of its own; ``[]`` when no team is named."""
    if not settings.reclaim_teams:
        return []
    with github_client(settings, max_attempts=2, max_wait=30) as client:
        return unseen_teams(settings, client)
