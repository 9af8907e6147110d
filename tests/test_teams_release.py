"""The "Release it now" path removes a person from a reclaimable team, as the cycle does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from structlog.testing import capture_logs

from reaper.core.teams import TeamRef
from reaper.cycle.teams import TeamSettings
from tests.test_release import release
from tests.test_teams_cycle import GROUP, MEMBERSHIP, TEAM, reaper_for, removals, team_seat, writes

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator
    from tests.conftest import FakeClock

TEAMS = TeamSettings((TeamRef(slug="copilot-users", org="acme"),))


def test_release_removes_the_person_from_a_reclaimable_team(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """The person leaves the team at once, the intent is settled as removed, the flag goes."""
    sim.add_team("copilot-users", org="acme").add_member("ann")
    team_seat(sim, clock, "ann")
    reaper = reaper_for(sim, clock, tmp_path)
    assert reaper.run().ok
    with capture_logs() as logs:
        done, message = release(reaper, "ann", teams=TEAMS)
    assert done, message
    assert "team acme/copilot-users" in message
    removed = [(e["team"], e["login"]) for e in logs if e["event"] == "team.member_removed"]
    assert removed == [(TEAM, "ann")]  # logged as the cycle logs its removals
    assert writes(sim) == [("DELETE", MEMBERSHIP + "ann")]
    assert removals(reaper) == [(TEAM, "ann", "removed")]
    assert reaper.flags() == {}


def test_release_from_an_idp_synced_team_is_refused_with_the_reason(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A synced team is never written to; the person is told an admin must act, and why."""
    sim.add_team("copilot-users", org="acme", sync_groups=[GROUP]).add_member("ann")
    team_seat(sim, clock, "ann")
    reaper = reaper_for(sim, clock, tmp_path)
    assert reaper.run().ok
    done, message = release(reaper, "ann", teams=TEAMS)
    assert not done
    assert "'Engineering'" in message
    assert writes(sim) == []
