"""`reaper reinstate` puts a person back into the teams the reaper removed them from.

The real command line as a subprocess, against the simulator and a SQLite file; the removals
are seeded through the store as the cycle writes them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from reaper.core.domain import Flag
from reaper.simulator import Fault
from reaper.store import SqlStore
from reaper.store import teams as team_store
from reaper.store.teams import audit_team
from tests.test_cli import env_for, run

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator
    from reaper.store import AuditEntry
    from reaper.store.team_reinstates import OpenRemoval
    from tests.conftest import FakeClock

REMOVED_AT = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
GROUP = {"group_id": "111a", "group_name": "Engineering", "group_description": "devs"}
MEMBERSHIP = "/orgs/acme/teams/copilot-users/memberships/ann"


def seed_removal(url: str, team: str, login: str, outcome: str | None = "removed") -> None:
    store = SqlStore(url)
    try:
        store.teams.open([team_store.TeamRemoval(team, login, REMOVED_AT)])
        if outcome is not None:
            store.teams.settle([(team, login, outcome)], REMOVED_AT)
    finally:
        store.close()


def removed_from_team(sim: Simulator, clock: FakeClock) -> None:
    """Ann was removed from acme/copilot-users: her seat from the team is pending."""
    sim.add_team("copilot-users", org="acme")
    sim.add_seat(
        "acme",
        "ann",
        team="copilot-users",
        created_at=clock.now - timedelta(days=300),
        pending_cancellation_date="2026-04-01",
    )


def stored(url: str) -> tuple[list[AuditEntry], list[OpenRemoval], list[Flag]]:
    store = SqlStore(url)
    try:
        return store.audit_log(), store.team_reinstates().open_removals("ann"), store.all_flags()
    finally:
        store.close()


def writes(sim: Simulator) -> list[tuple[str, str, object]]:
    return [(r.method, r.path, r.json) for r in sim.requests if r.method != "GET"]


def test_reinstate_puts_the_person_back_into_the_org_team_and_the_seat_returns(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """PUT membership as member; the team's seat leaves pending; audited, exempt, row closed."""
    removed_from_team(sim, clock)
    env = env_for(sim, tmp_path, REINSTATE_EXEMPT_DAYS="14")
    url = env["REAPER_STATE_URL"]
    seed_removal(url, "acme/copilot-users", "ann")
    flag = Flag("acme", "ann", REMOVED_AT, REMOVED_AT, REMOVED_AT, REMOVED_AT)
    SqlStore(url).commit(add=[flag])

    result = run(["reinstate", "ann", "--reason", "back from leave", "--by", "bob", "--yes"], env)

    assert result.returncode == 0, result.stderr
    assert writes(sim) == [("PUT", MEMBERSHIP, {"role": "member"})]
    assert sim.seat("acme", "ann")["pending_cancellation_date"] is None  # type: ignore[index]
    audit, still_open, flags = stored(url)
    [entry] = audit
    assert (entry.event, entry.org, entry.login) == ("team.reinstated", "acme", "ann")
    assert audit_team(entry) == "acme/copilot-users"
    assert "asked by bob: back from leave, exempt until" in entry.reason
    assert still_open == []
    assert flags == []
    exemption = SqlStore(url).exemptions(datetime.now(UTC))["ann"]
    assert (exemption.by, exemption.reason) == ("bob", "back from leave")
    assert "added ann back to team acme/copilot-users, exempt until" in result.stdout
    assert '"team.reinstated"' in result.stderr

    again = run(["reinstate", "ann", "--reason", "twice", "--yes"], env)
    assert again.returncode == 2
    assert writes(sim) == [("PUT", MEMBERSHIP, {"role": "member"})]


def test_reinstate_puts_the_person_back_into_an_enterprise_team(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """An enterprise team's membership is PUT at /enterprises/{e}/teams/{slug}; the seat returns."""
    sim.add_enterprise("big")
    sim.add_team("all-devs", enterprise="big")
    sim.add_seat("enterprise:big", "ann", team="all-devs", pending_cancellation_date="2026-04-01")
    env = env_for(sim, tmp_path, GITHUB_ENTERPRISE="big")
    url = env["REAPER_STATE_URL"]
    seed_removal(url, "ent:all-devs", "ann")

    result = run(["reinstate", "ann", "--reason", "mistake", "--by", "bob", "--yes"], env)

    assert result.returncode == 0, result.stderr
    assert writes(sim) == [("PUT", "/enterprises/big/teams/all-devs/memberships/ann", None)]
    [grant] = sim.grants("enterprise:big", "ann")
    assert grant["pending_cancellation_date"] is None
    [entry] = stored(url)[0]
    assert (entry.event, entry.org, audit_team(entry)) == (
        "team.reinstated",
        "enterprise:big",
        "ent:all-devs",
    )


def test_a_dry_run_says_it_would_add_back_and_changes_nothing(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """Without --yes: "would add back to team X"; no request, no audit, the row stays open."""
    removed_from_team(sim, clock)
    env = env_for(sim, tmp_path)
    url = env["REAPER_STATE_URL"]
    seed_removal(url, "acme/copilot-users", "ann")

    result = run(["reinstate", "ann", "--reason", "mistake"], env)

    assert result.returncode == 0, result.stderr
    assert "would add ann back to team acme/copilot-users, exempt until" in result.stdout
    assert sim.requests == []
    audit, still_open, _ = stored(url)
    assert audit == []
    assert [r.team for r in still_open] == ["acme/copilot-users"]


def test_a_refused_add_back_fails_that_person_audited_and_keeps_the_row(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A 403 (IdP-synced team), a 422 and a 404 each fail the person, audited; exit 1."""
    removed_from_team(sim, clock)
    sim.add_team("synced", org="acme", sync_groups=[GROUP])
    sim.inject(Fault(path="/teams/copilot-users/memberships/ann$", method="PUT", status=422))
    env = env_for(sim, tmp_path)
    url = env["REAPER_STATE_URL"]
    for team in ("acme/copilot-users", "acme/synced", "acme/gone-team"):
        seed_removal(url, team, "ann")

    result = run(["reinstate", "ann", "--reason", "mistake", "--by", "bob", "--yes"], env)

    assert result.returncode == 1
    audit, still_open, _ = stored(url)
    assert [(e.event, audit_team(e)) for e in audit] == [
        ("team.reinstate_refused", "acme/copilot-users"),
        ("team.reinstate_refused", "acme/synced"),
        ("team.reinstate_refused", "acme/gone-team"),
    ]
    assert all("asked by bob: mistake; GitHub:" in e.reason for e in audit)
    assert len(still_open) == 3
    assert "GitHub will not add ann back to team acme/synced" in result.stderr
    assert sim.seat("acme", "ann")["pending_cancellation_date"] == "2026-04-01"  # type: ignore[index]


def test_only_confirmed_removals_not_yet_undone_are_added_back(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """An unsettled removal (no outcome) is not undone; with nothing else, exit 2 and no request."""
    removed_from_team(sim, clock)
    env = env_for(sim, tmp_path)
    seed_removal(env["REAPER_STATE_URL"], "acme/copilot-users", "ann", outcome=None)

    result = run(["reinstate", "ann", "--reason", "mistake", "--yes"], env)

    assert result.returncode == 2
    assert "no seat of ann" in result.stderr
    assert writes(sim) == []


def test_github_unavailable_stops_and_leaves_every_removal_open_for_a_rerun(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """503 on every PUT: stopped, exit 1, each team named on stderr, nothing marked or audited."""
    removed_from_team(sim, clock)
    sim.add_team("other", org="acme")
    sim.inject(Fault(path="/memberships/ann$", method="PUT", status=503, times=20))
    env = env_for(sim, tmp_path)
    url = env["REAPER_STATE_URL"]
    seed_removal(url, "acme/copilot-users", "ann")
    seed_removal(url, "acme/other", "ann")

    result = run(["reinstate", "ann", "--reason", "mistake", "--yes"], env)

    assert result.returncode == 1
    left = "ann to team acme/copilot-users, ann to team acme/other"
    assert f"not added back, or not recorded (run it again): {left}" in result.stderr
    audit, still_open, _ = stored(url)
    assert audit == []
    assert len(still_open) == 2
    assert len([r for r in sim.requests if r.method == "PUT"]) == 1


def test_with_org_a_person_removed_from_a_team_there_gets_the_team_back_not_a_second_seat(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """--org acme: the team brings the seat back; no direct seat is POSTed beside it."""
    removed_from_team(sim, clock)
    env = env_for(sim, tmp_path)
    seed_removal(env["REAPER_STATE_URL"], "acme/copilot-users", "ann")

    result = run(["reinstate", "ann", "--org", "acme", "--reason", "mistake", "--yes"], env)

    assert result.returncode == 0, result.stderr
    assert writes(sim) == [("PUT", MEMBERSHIP, {"role": "member"})]
