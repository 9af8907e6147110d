"""Every refusal holds inside a live cycle: nothing is written, the reason is reported."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from reaper.core.domain import enterprise_scope
from tests.harness import DAY
from tests.test_teams_cycle import GROUP, MEMBERSHIP, due, reaper_for, team_seat, writes

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from reaper.simulator import Simulator
    from reaper.simulator.teams import SimTeam
    from tests.conftest import FakeClock


def synced(team: SimTeam) -> None:
    team.sync_groups = [GROUP]


def sync_unknown(team: SimTeam) -> None:
    team.sync_forbidden = True


def emu_group(team: SimTeam) -> None:
    team.external_groups = [{"group_id": 7, "group_name": "Okta Devs"}]


def repositories(team: SimTeam) -> None:
    team.repos = ["api", "web"]


def maintainer(team: SimTeam) -> None:
    team.add_member("ann", role="maintainer")


def pending(team: SimTeam) -> None:
    team.add_member("ann", state="pending")


def not_member(team: SimTeam) -> None:
    team.members.pop("ann")


CASES: dict[str, tuple[Callable[[SimTeam], None], str]] = {
    "idp_synced": (synced, "kept in sync with IdP group 'Engineering'"),
    "idp_unknown": (sync_unknown, "whether an identity provider keeps it in sync is unknown"),
    "external_group": (emu_group, "kept in sync with IdP group 'Okta Devs'"),
    "repositories": (repositories, "grants 2 repositories"),
    "maintainer": (maintainer, "a maintainer of team acme/copilot-users"),
    "pending": (pending, "membership of team acme/copilot-users is pending"),
    "not_member": (not_member, "not a member of team acme/copilot-users"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_refused_org_team_removal_sends_nothing_and_says_why(
    sim: Simulator, clock: FakeClock, tmp_path: Path, case: str
) -> None:
    """Each refusal leaves the person as needing a person, with GitHub's reason, and no write."""
    team = sim.add_team("copilot-users", org="acme")
    team.add_member("ann")
    team_seat(sim, clock, "ann")
    change, text = CASES[case]
    change(team)
    outcome = due(reaper_for(sim, clock, tmp_path), clock)
    assert writes(sim) == []
    (needs,) = outcome.report.entries("needs_person")
    assert text in needs.reason


def test_a_member_through_a_child_team_is_not_removed_naming_it(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A person in the team only through child team "juniors" is not removed; juniors is named."""
    sim.add_team("copilot-users", org="acme", children=["juniors"])
    sim.add_team("juniors", org="acme").add_member("ann")
    team_seat(sim, clock, "ann")
    outcome = due(reaper_for(sim, clock, tmp_path), clock)
    assert writes(sim) == []
    (needs,) = outcome.report.entries("needs_person")
    assert "through child team juniors" in needs.reason


def test_a_maintainer_is_removed_when_the_setting_allows_it(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """REAPER_RECLAIM_TEAM_MAINTAINERS=true removes an idle maintainer too."""
    sim.add_team("copilot-users", org="acme").add_member("ann", role="maintainer")
    team_seat(sim, clock, "ann")
    reaper = reaper_for(sim, clock, tmp_path, reclaim_team_maintainers=True)
    outcome = due(reaper, clock)
    assert writes(sim) == [("DELETE", MEMBERSHIP + "ann")]
    assert [e.login for e in outcome.report.entries("cancelled")] == ["ann"]


def test_an_enterprise_team_linked_to_an_idp_group_is_refused(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """An enterprise team with a group_id (no name) is refused, naming the group id."""
    sim.add_enterprise("acme-corp")
    sim.add_team("all-devs", enterprise="acme-corp", group_id="62ab-9f").add_member("ann")
    team_seat(sim, clock, "ann", scope=enterprise_scope("acme-corp"), team="all-devs")
    overrides: dict[str, Any] = {
        "github_orgs": [],
        "github_enterprise": "acme-corp",
        "reclaim_teams": ["ent:all-devs"],
    }
    outcome = due(reaper_for(sim, clock, tmp_path, **overrides), clock)
    assert writes(sim) == []
    (needs,) = outcome.report.entries("needs_person")
    assert "'62ab-9f'" in needs.reason


def test_many_due_members_are_read_from_the_team_lists(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """Three due of a small team: two list reads replace the per-person reads, rules unchanged."""
    team = sim.add_team("copilot-users", org="acme")
    team.add_member("ann")
    team.add_member("bob", role="maintainer")
    team.add_member("cat", state="pending")
    for login in ("ann", "bob", "cat"):
        team_seat(sim, clock, login)
    outcome = due(reaper_for(sim, clock, tmp_path), clock)
    assert writes(sim) == [("DELETE", MEMBERSHIP + "ann")]
    reads = [r for r in sim.requests if r.method == "GET" and r.path.startswith(MEMBERSHIP)]
    assert [r.path for r in reads] == [MEMBERSHIP + "cat"]  # not on a list: read alone
    lists = [r.query["role"] for r in sim.requests if r.path.endswith("/copilot-users/members")]
    assert sorted(lists) == [["maintainer"], ["member"]]
    needs = {e.login: e.reason for e in outcome.report.entries("needs_person")}
    assert "a maintainer of team acme/copilot-users" in needs["bob"]
    assert "is pending" in needs["cat"]
    assert [e.login for e in outcome.report.entries("cancelled")] == ["ann"]


def test_a_refused_team_still_lets_the_direct_grant_go(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """Direct grant in globex, synced team in acme: globex is cancelled, the team untouched."""
    sim.add_org("globex")
    sim.add_team("copilot-users", org="acme", sync_groups=[GROUP]).add_member("ann")
    team_seat(sim, clock, "ann")
    sim.add_seat(
        "globex", "ann", created_at=clock.now - 400 * DAY, last_activity_at=clock.now - 45 * DAY
    )
    outcome = due(reaper_for(sim, clock, tmp_path, github_orgs=["acme", "globex"]), clock)
    assert writes(sim) == [("DELETE", "/orgs/globex/copilot/billing/selected_users")]
    (needs,) = outcome.report.entries("needs_person")
    assert needs.login == "ann"
    notes = [n for o in outcome.report.orgs for n in o.notes]
    assert any("'Engineering'" in n for n in notes)
