"""The demo's teams: one idle person removed from a team, and one team an IdP keeps in sync.

``populate_teams`` adds, in org acme-corp, team ``copilot-users`` (named in
``REAPER_RECLAIM_TEAMS``, nothing refuses it) granting team-tom's idle seat, and team
``eng-all`` (named too, but kept in sync with the IdP group "Engineering") granting
synced-sue's. ``team_summary`` says, after the story, what happened to each.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime

    from reaper.simulator import Simulator

ORG = "acme-corp"
REMOVED, SYNCED = "team-tom", "synced-sue"
TEAMS = [f"{ORG}/copilot-users", f"{ORG}/eng-all"]
GROUP = {"group_id": "7c1f", "group_name": "Engineering", "group_description": "Entra ID"}


def populate_teams(sim: Simulator, now: datetime) -> list[str]:
    """Add the two teams and their idle members; return the members' logins."""
    sim.add_team("copilot-users", org=ORG).add_member(REMOVED)
    sim.add_team("eng-all", org=ORG, sync_groups=[GROUP]).add_member(SYNCED)
    for login, team in ((REMOVED, "copilot-users"), (SYNCED, "eng-all")):
        sim.add_seat(
            ORG,
            login,
            created_at=now - timedelta(days=300),
            last_activity_at=now - timedelta(days=80),
            team=team,
        )
    return [REMOVED, SYNCED]


def team_settings() -> dict[str, Any]:
    """The settings that name both teams."""
    return {"reclaim_teams": TEAMS}


def team_summary(sim: Simulator) -> str:
    """One line per team member: removed (their seat pending), or left with the reason."""
    tom = sim.seat(ORG, REMOVED) or {}
    sue = sim.seat(ORG, SYNCED) or {}
    removed = "removed from team acme-corp/copilot-users, seat pending cancellation"
    return (
        f"Teams: {REMOVED} {removed if tom.get('pending_cancellation_date') else 'NOT removed'}; "
        f"{SYNCED} left in team acme-corp/eng-all, kept in sync with IdP group 'Engineering' "
        f"({'untouched' if not sue.get('pending_cancellation_date') else 'WRONGLY removed'}).\n"
    )
