"""One cycle with team removals and the who-can step reads each team and membership once."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from tests.test_teams_cycle import MEMBERSHIP, reaper_for, team_seat, writes

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator
    from tests.conftest import FakeClock

TEAM_PATH = "/orgs/acme/teams/copilot-users"


def test_removals_and_who_can_read_each_team_and_membership_at_most_once(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """Refused people reach who-can; their team, child team and memberships are not re-read."""
    team = sim.add_team("copilot-users", org="acme", children=["squad"])
    team.add_member("ann")
    team.add_member("bob", role="maintainer")
    team.add_member("eve")
    sim.add_team("squad", org="acme").add_member("eve")
    for login in ("ann", "bob", "eve"):
        team_seat(sim, clock, login)
    reaper = reaper_for(sim, clock, tmp_path)
    assert reaper.run().report.totals.newly_flagged == 3
    clock.advance(days=8)
    before = len(sim.requests)
    outcome = reaper.run()
    assert outcome.ok, outcome.report.orgs[0].errors
    assert writes(sim) == [("DELETE", MEMBERSHIP + "ann")]
    held = {e.login: e for e in outcome.report.entries("needs_person")}
    assert set(held) == {"bob", "eve"}
    assert [h.code for h in held["bob"].holds] == ["maintainer"]
    assert [h.code for h in held["eve"].holds] == ["child_team"]
    gets = Counter(
        (r.path, str(sorted(r.query.items()))) for r in sim.requests[before:] if r.method == "GET"
    )
    paths = Counter(path for path, _ in gets.elements())
    assert paths[TEAM_PATH] == 1
    assert paths[MEMBERSHIP + "bob"] <= 1  # three due: read from the team's member lists
    assert paths[MEMBERSHIP + "eve"] <= 1
    assert paths["/orgs/acme/teams/squad/members"] == 1
    twice = {k: n for k, n in gets.items() if k[0].startswith("/orgs/acme/teams/") and n > 1}
    assert twice == {}


def test_a_refused_member_read_alone_is_not_read_again_by_who_can(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """One due maintainer: the removal step reads the membership, who-can reuses it."""
    sim.add_team("copilot-users", org="acme").add_member("bob", role="maintainer")
    team_seat(sim, clock, "bob")
    reaper = reaper_for(sim, clock, tmp_path)
    reaper.run()
    clock.advance(days=8)
    before = len(sim.requests)
    outcome = reaper.run()
    assert writes(sim) == []
    (held,) = outcome.report.entries("needs_person")
    assert [h.code for h in held.holds] == ["maintainer"]
    reads = [r.path for r in sim.requests[before:] if r.path == MEMBERSHIP + "bob"]
    assert reads == [MEMBERSHIP + "bob"]
