"""The demo's teams: one idle person removed from a team, and one team an IdP keeps in sync.

``populate_teams`` adds, in org acme-corp, team ``copilot-users`` (named in
``REAPER_RECLAIM_TEAMS``, nothing refuses it) granting team-tom's idle seat, and team
``eng-all`` (named too, but kept in sync with the IdP group "Engineering") granting
synced-sue's. ``reinstate_story`` has an admin give team-tom's seat back the day after the
removal (``reaper reinstate``: back into the team); ``team_summary`` says, after the story,
what happened to each.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from reaper.app.reinstate import Ask, reinstate

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from typing import TextIO

    from reaper.config.settings import Settings
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


def reinstate_story(
    sim: Simulator, settings: Settings, *, clock: Callable[[], datetime], out: TextIO
) -> bool:
    """An admin gives team-tom's seat back: the reaper puts them back into the team it left."""
    removed = bool((sim.seat(ORG, REMOVED) or {}).get("pending_cancellation_date"))
    out.write(
        f"\n{'=' * 78}\nThe same day, later: an admin gives {REMOVED}'s seat back:\n"
        f'`reaper reinstate {REMOVED} --reason "needed for the release" --yes`\n{"=" * 78}\n'
    )
    ask = Ask((REMOVED,), "needed for the release", "it-admin", yes=True)
    code = reinstate(settings, ask, out, out, clock=clock)
    back = not (sim.seat(ORG, REMOVED) or {}).get("pending_cancellation_date")
    return removed and code == 0 and back


def team_summary(sim: Simulator) -> str:
    """One line per team member: removed then put back, or left with the reason."""
    tom = sim.seat(ORG, REMOVED) or {}
    sue = sim.seat(ORG, SYNCED) or {}
    removed = "removed from team acme-corp/copilot-users on day 7, put back by `reaper reinstate`"
    return (
        f"Teams: {REMOVED} {removed if not tom.get('pending_cancellation_date') else 'NOT back'}; "
        f"{SYNCED} left in team acme-corp/eng-all, kept in sync with IdP group 'Engineering' "
        f"({'untouched' if not sue.get('pending_cancellation_date') else 'WRONGLY removed'}).\n"
    )
