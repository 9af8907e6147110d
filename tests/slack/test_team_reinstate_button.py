"""The report's "Reinstate" button, over Socket Mode, also puts a person back into the team."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from reaper.store import SqlStore
from reaper.store.teams import REMOVED, TeamRemoval, audit_team
from tests.harness import idle_seat

from .clicking import ADMIN, Listening, answering_reaper, audit, labels, listen, report

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from reaper.simulator import Simulator
    from tests.conftest import FakeClock
    from tests.harness import Reaper


@pytest.fixture
def reaper(sim: Simulator, clock: FakeClock, tmp_path: Path) -> Reaper:
    """A live reaper answering in Slack, with idle-ivy idle for 45 days."""
    idle_seat(sim, clock, "idle-ivy")
    return answering_reaper(sim, clock, tmp_path)


@pytest.fixture
def slack(sim: Simulator, reaper: Reaper, clock: FakeClock) -> Iterator[Listening]:
    """The reaper's Socket Mode link, connected to the simulator."""
    listening = listen(sim, reaper, clock)
    yield listening
    listening.link.close()


def test_reinstate_clicked_adds_the_person_back_to_the_team_they_were_removed_from(
    sim: Simulator, reaper: Reaper, slack: Listening, clock: FakeClock
) -> None:
    """One click: the cancelled seat comes back and the team membership is PUT back, audited."""
    team = sim.add_team("copilot-users", org="acme")
    assert reaper.run().ok
    clock.advance(days=7)
    assert reaper.run().ok
    store = SqlStore(reaper.state_url)
    try:
        store.teams.open([TeamRemoval("acme/copilot-users", "idle-ivy", clock.now)])
        store.teams.settle([("acme/copilot-users", "idle-ivy", REMOVED)], clock.now)
    finally:
        store.close()
    cancelled = report(sim)
    assert "Reinstate" in labels(cancelled)

    slack.click(cancelled, "Reinstate", ADMIN, row="*idle-ivy*")

    puts = [(r.path, r.json) for r in sim.requests if r.method == "PUT"]
    assert puts == [("/orgs/acme/teams/copilot-users/memberships/idle-ivy", {"role": "member"})]
    assert "idle-ivy" in team.members
    [back] = audit(reaper, "team.reinstated")
    assert (back.login, audit_team(back)) == ("idle-ivy", "acme/copilot-users")
    assert "asked by Slack user U0ADM: Reinstate clicked in Slack" in back.reason
    assert [e.login for e in audit(reaper, "seat.reinstated")] == ["idle-ivy"]
    assert slack.actions("reinstate", "accepted") == 1
