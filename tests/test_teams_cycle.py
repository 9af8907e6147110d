"""Removing idle people from the teams of REAPER_RECLAIM_TEAMS inside a live cycle."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from reaper.core.domain import enterprise_scope
from reaper.metrics import Metrics
from reaper.report.text import render_text
from reaper.simulator import Fault, Simulator
from reaper.simulator.teams import SYNC_REMOVAL
from reaper.slack.dm_text import flagged_message
from reaper.store import SqlStore
from reaper.store.teams import TeamRemoval
from tests.conftest import GITHUB_TOKEN
from tests.harness import DAY, Reaper

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.cycle.orchestrator import CycleOutcome
    from reaper.simulator import RecordedRequest
    from tests.conftest import FakeClock

TEAM = "acme/copilot-users"
MEMBERSHIP = "/orgs/acme/teams/copilot-users/memberships/"
GROUP = {"group_id": "111a", "group_name": "Engineering", "group_description": "devs"}


def team_seat(
    sim: Simulator, clock: FakeClock, login: str, *, scope: str = "acme", **kw: Any
) -> None:
    """An idle seat granted through team copilot-users (45 days idle)."""
    sim.add_seat(
        scope,
        login,
        team=kw.pop("team", "copilot-users"),
        created_at=clock.now - 400 * DAY,
        last_activity_at=clock.now - 45 * DAY,
        **kw,
    )


def reaper_for(sim: Simulator, clock: FakeClock, tmp: Path, **overrides: Any) -> Reaper:
    return Reaper(sim, clock, tmp, overrides={"reclaim_teams": [TEAM], **overrides})


def due(reaper: Reaper, clock: FakeClock) -> CycleOutcome:
    """Flag (and warn) now, then run again once the grace period is over."""
    assert reaper.run().report.totals.newly_flagged >= 1
    clock.advance(days=8)
    return reaper.run()


def writes(sim: Simulator) -> list[tuple[str, str]]:
    """Every write sent to GitHub (Slack's posts left out)."""
    return [
        (r.method, r.path)
        for r in sim.requests
        if r.method in {"DELETE", "POST", "PUT"} and not r.path.startswith("/slack")
    ]


def removals(reaper: Reaper) -> list[tuple[str, str, str | None]]:
    """Every team_removals row as (team, login, outcome)."""
    store = SqlStore(reaper.state_url)
    try:
        return store.teams.removals()
    finally:
        store.close()


def test_an_idle_team_member_is_removed_and_counted_saved(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A due person granted only through a named team is removed from it; the seat is saved."""
    sim.add_team("copilot-users", org="acme").add_member("ann")
    team_seat(sim, clock, "ann")
    reaper = reaper_for(sim, clock, tmp_path)
    outcome = due(reaper, clock)
    assert outcome.ok, outcome.report.orgs[0].errors
    assert writes(sim) == [("DELETE", MEMBERSHIP + "ann")]
    (entry,) = outcome.report.entries("cancelled")
    assert "removed from team acme/copilot-users" in entry.reason
    assert entry.saved
    assert "ann (acme)" in render_text(outcome.report)
    assert "removed from team acme/copilot-users" in render_text(outcome.report)
    assert "removed from team acme/copilot-users" in json.dumps(sim.slack_messages[-1])
    assert removals(reaper) == [(TEAM, "ann", "removed")]
    assert ("team.member_removed", "ann") in reaper.audit()
    assert reaper.flags() == {}
    assert (sim.seat("acme", "ann") or {})["pending_cancellation_date"] is not None


def test_a_team_not_named_is_never_written_to(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A team outside REAPER_RECLAIM_TEAMS keeps today's "needs a person"."""
    sim.add_team("others", org="acme").add_member("bob")
    team_seat(sim, clock, "bob", team="others")
    reaper = reaper_for(sim, clock, tmp_path)
    outcome = due(reaper, clock)
    assert writes(sim) == []
    assert outcome.report.totals.needs_person == 1


def test_a_dry_run_sends_no_write_and_says_would_remove(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A dry run says "would remove from team X" and sends no write at all."""
    sim.add_team("copilot-users", org="acme").add_member("ann")
    team_seat(sim, clock, "ann")
    reaper = reaper_for(sim, clock, tmp_path)
    reaper.run()
    clock.advance(days=8)
    reaper.overrides["dry_run"] = True
    outcome = reaper.run()
    assert writes(sim) == []
    (entry,) = outcome.report.entries("cancelled")
    assert "would remove from team acme/copilot-users" in entry.reason
    assert removals(reaper) == []


def test_a_dry_run_refuses_what_a_live_run_would_refuse(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A dry run reads the team: an IdP-synced team or a maintainer is no "would remove"."""
    team = sim.add_team("copilot-users", org="acme")
    team.add_member("ann")
    team.add_member("bob", role="maintainer")
    team_seat(sim, clock, "ann")
    team_seat(sim, clock, "bob")
    reaper = reaper_for(sim, clock, tmp_path)
    reaper.run()  # live: both flagged and warned
    clock.advance(days=8)
    reaper.overrides["dry_run"] = True
    outcome = reaper.run()
    (ann,) = outcome.report.entries("cancelled")
    assert ann.login == "ann"
    assert "would remove from team acme/copilot-users" in ann.reason
    (bob,) = outcome.report.entries("needs_person")
    assert bob.login == "bob"
    assert "maintainer" in bob.reason
    assert "would remove" not in bob.reason
    team.sync_groups = [GROUP]
    outcome = reaper.run()
    assert outcome.report.entries("cancelled") == []
    assert {e.login for e in outcome.report.entries("needs_person")} == {"ann", "bob"}
    assert writes(sim) == []


def test_a_person_with_a_team_grant_and_a_direct_grant_loses_both(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """The direct grant is cancelled and the team membership removed in the same decision."""
    sim.add_org("globex")
    sim.add_team("copilot-users", org="acme").add_member("cat")
    team_seat(sim, clock, "cat")
    sim.add_seat(
        "globex", "cat", created_at=clock.now - 400 * DAY, last_activity_at=clock.now - 45 * DAY
    )
    reaper = reaper_for(sim, clock, tmp_path, github_orgs=["acme", "globex"])
    outcome = due(reaper, clock)
    assert outcome.ok, [o.errors for o in outcome.report.orgs]
    assert ("DELETE", MEMBERSHIP + "cat") in writes(sim)
    assert ("DELETE", "/orgs/globex/copilot/billing/selected_users") in writes(sim)
    (entry,) = outcome.report.entries("cancelled")
    assert entry.saved
    assert reaper.flags() == {}


def test_a_403_on_one_removal_fails_only_that_person(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A refused removal keeps that person's flag and reports it; the others go."""
    team = sim.add_team("copilot-users", org="acme")
    for login in ("ann", "bob"):
        team.add_member(login)
        team_seat(sim, clock, login)
    reaper = reaper_for(sim, clock, tmp_path)
    reaper.run()
    clock.advance(days=8)
    sim.inject(
        Fault(
            path="/memberships/bob$",
            method="DELETE",
            status=403,
            body={"message": "Must have admin rights to Repository."},
        )
    )
    outcome = reaper.run()
    assert [e.login for e in outcome.report.entries("cancelled")] == ["ann"]
    errors = outcome.report.orgs[0].errors
    assert any("removing bob from team acme/copilot-users failed" in e for e in errors)
    assert [f.login for f in reaper.flags().values()] == ["bob"]
    assert sorted(removals(reaper)) == [(TEAM, "ann", "removed"), (TEAM, "bob", "failed")]


def test_a_removal_refused_for_team_sync_teaches_the_team_is_idp_managed(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """GitHub's 403 naming team sync is remembered: the next cycle refuses the team unasked."""
    team = sim.add_team("copilot-users", org="acme")
    team.add_member("ann")
    team_seat(sim, clock, "ann")
    reaper = reaper_for(sim, clock, tmp_path)
    reaper.run()
    clock.advance(days=8)
    sim.inject(
        Fault(
            path="/memberships/ann$",
            method="DELETE",
            status=403,
            body={"message": SYNC_REMOVAL},
        )
    )
    first = reaper.run()
    (refused,) = first.report.entries("needs_person")
    assert "kept in sync with an identity provider (GitHub refused the removal" in refused.reason
    assert first.ok  # a refusal, not a failure: the person needs a person
    assert [f.login for f in reaper.flags().values()] == ["ann"]
    assert removals(reaper) == [(TEAM, "ann", "not removed")]
    clock.advance(days=1)
    later = reaper.run()
    assert writes(sim) == [("DELETE", MEMBERSHIP + "ann")]  # no second attempt
    (needs,) = later.report.entries("needs_person")
    assert "kept in sync with an identity provider" in needs.reason


def test_removal_from_an_enterprise_team_goes_in_bulk(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """An enterprise team's members leave through the bulk removal; their seats go pending."""
    sim.add_enterprise("acme-corp")
    team = sim.add_team("all-devs", enterprise="acme-corp")
    ent = enterprise_scope("acme-corp")
    for login in ("ann", "bob"):
        team.add_member(login)
        team_seat(sim, clock, login, scope=ent, team="all-devs")
    reaper = reaper_for(
        sim,
        clock,
        tmp_path,
        github_orgs=[],
        github_enterprise="acme-corp",
        reclaim_teams=["ent:all-devs"],
    )
    outcome = due(reaper, clock)
    assert outcome.ok, [o.errors for o in outcome.report.orgs]
    bulk = [r for r in sim.requests if r.method == "POST" and "/teams/" in r.path]
    assert [sorted(r.json["usernames"]) for r in bulk] == [["ann", "bob"]]
    assert bulk[0].path == "/enterprises/acme-corp/teams/all-devs/memberships/remove"
    assert sorted(e.login for e in outcome.report.entries("cancelled")) == ["ann", "bob"]
    assert sorted(removals(reaper)) == [
        ("ent:all-devs", "ann", "removed"),
        ("ent:all-devs", "bob", "removed"),
    ]


def test_the_warning_names_the_team_the_person_will_leave(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """Channel and direct message say the seat comes from the team and when they leave it."""
    sim.add_team("copilot-users", org="acme").add_member("ann")
    team_seat(sim, clock, "ann")
    outcome = reaper_for(sim, clock, tmp_path).run()
    assert "removed from team acme/copilot-users then" in json.dumps(sim.slack_messages)
    (entry,) = outcome.report.entries("flagged")
    dm = json.dumps(flagged_message(entry, clock.now, "#admins"))
    due_on = f"{entry.due_at:%Y-%m-%d}"
    assert (
        f"The seat comes from team acme/copilot-users: you will be removed from it on {due_on}"
        in dm
    )


def test_the_blast_radius_limit_counts_team_removals(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """Three persons due through a team, at most two may go: nobody is removed."""
    team = sim.add_team("copilot-users", org="acme")
    for login in ("ann", "bob", "cat"):
        team.add_member(login)
        team_seat(sim, clock, login)
    outcome = due(reaper_for(sim, clock, tmp_path, max_cancellations=2), clock)
    assert writes(sim) == []
    assert any("blast-radius" in e for e in outcome.report.orgs[0].errors)
    assert len(reaper_for(sim, clock, tmp_path).flags()) == 3


def test_removals_are_counted_by_team_in_the_metrics(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """reaper_team_removals_total carries the team as its label."""
    sim.add_team("copilot-users", org="acme").add_member("ann")
    team_seat(sim, clock, "ann")
    outcome = due(reaper_for(sim, clock, tmp_path), clock)
    metrics = Metrics(dry_run=False)
    metrics.record_cycle(outcome, 1.0, None)
    text = metrics.render().decode()
    assert 'reaper_team_removals_total{team="acme/copilot-users"} 1.0' in text


def test_many_removals_are_confirmed_from_one_read_of_the_list(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """Three removed, a one-page list: the confirmation reads the list once, not each person."""
    team = sim.add_team("copilot-users", org="acme")
    for login in ("ann", "bob", "cat"):
        team.add_member(login)
        team_seat(sim, clock, login)
    outcome = due(reaper_for(sim, clock, tmp_path), clock)
    assert sorted(e.login for e in outcome.report.entries("cancelled")) == ["ann", "bob", "cat"]
    requests = sim.requests
    last_delete = max(i for i, r in enumerate(requests) if r.method == "DELETE")
    after = [r.path for r in requests[last_delete + 1 :] if r.method == "GET"]
    assert after == ["/orgs/acme/copilot/billing/seats"]


def test_an_intent_whose_request_never_left_is_closed_and_the_removal_sent(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """Died before the request: the membership is still there, so "not removed", then removed."""
    sim.add_team("copilot-users", org="acme").add_member("ann")
    team_seat(sim, clock, "ann")
    reaper = reaper_for(sim, clock, tmp_path)
    reaper.run()
    clock.advance(days=8)
    store = SqlStore(reaper.state_url)
    store.teams.open([TeamRemoval(TEAM, "ann", clock.now)])
    store.close()
    outcome = reaper.run()
    assert outcome.ok, outcome.report.orgs[0].errors
    assert removals(reaper) == [(TEAM, "ann", "not removed"), (TEAM, "ann", "removed")]
    assert writes(sim) == [("DELETE", MEMBERSHIP + "ann")]
    store = SqlStore(reaper.state_url)
    reasons = [e.reason for e in store.audit_log() if e.event == "team.member_removed"]
    store.close()
    assert reasons
    assert all(r.startswith("team acme/copilot-users: ") for r in reasons)


def test_team_removals_short_of_budget_wait_for_the_next_hour(
    clock: FakeClock, tmp_path: Path
) -> None:
    """Too few requests for every removal: the oldest go now, the rest in the next hour."""
    with Simulator(token=GITHUB_TOKEN, clock=clock, rate_limit=45) as small:
        small.add_org("acme")
        team = small.add_team("copilot-users", org="acme")
        for n in range(6):
            team.add_member(f"idle{n}")
            team_seat(small, clock, f"idle{n}")
        # The usage report's read is part of the cycle and rightly spends the budget (one a
        # cycle with due persons); this test is about the team removals' own budget, so off.
        reaper = reaper_for(
            small, clock, tmp_path, github_rate_limit_reserve=20, usage_report="off"
        )
        assert reaper.run().ok
        clock.advance(days=8)
        first = reaper.run()
        now = len([w for w in writes(small) if w[0] == "DELETE"])
        assert 0 < now < 6
        assert "left for the next cycle" in str(first.report.orgs[0].errors)
        clock.advance(hours=2)
        reaper.run()
        assert len([w for w in writes(small) if w[0] == "DELETE"]) == 6
        assert len(removals(reaper)) == 6


def test_a_grant_still_live_after_the_removal_needs_a_person(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """GitHub answers 204 but the team's seat stays live: needs a person, nothing saved."""
    sim.add_team("copilot-users", org="acme").add_member("ann")
    team_seat(sim, clock, "ann")
    reaper = reaper_for(sim, clock, tmp_path)
    assert reaper.run().report.totals.newly_flagged == 1
    clock.advance(days=8)

    def seat_stays(request: RecordedRequest) -> None:
        if request.method == "DELETE" and request.path == MEMBERSHIP + "ann":
            sim.remove_seat("acme", "ann")
            team_seat(sim, clock, "ann")  # the team's grant, not pending: the removal lied

    sim.after_request = seat_stays
    try:
        outcome = reaper.run()
    finally:
        sim.after_request = None
    assert writes(sim) == [("DELETE", MEMBERSHIP + "ann")]
    assert outcome.report.entries("cancelled") == []
    (needs,) = outcome.report.entries("needs_person")
    assert needs.login == "ann"
    assert "removed from team acme/copilot-users, but its seat grant is still live" in needs.reason
    assert outcome.report.totals.cancelled == 0


def test_a_removal_github_keeps_failing_is_left_open_and_sent_again_next_cycle(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """503 on every attempt: unsure, the flag kept and the row open; the next run settles it."""
    sim.add_team("copilot-users", org="acme").add_member("ann")
    team_seat(sim, clock, "ann")
    reaper = reaper_for(sim, clock, tmp_path)
    assert reaper.run().report.totals.newly_flagged == 1
    clock.advance(days=8)
    sim.inject(Fault(path="/memberships/ann$", method="DELETE", status=503, times=20))
    first = reaper.run()
    assert removals(reaper) == [(TEAM, "ann", None)]  # the answer is unknown: left open
    assert ("acme", "ann") in reaper.flags()
    assert first.report.totals.cancelled == 0
    sim.clear_faults()
    clock.advance(days=1)
    assert reaper.run().ok
    # the membership still stood: settled as not removed, then removed by this cycle
    assert removals(reaper) == [(TEAM, "ann", "not removed"), (TEAM, "ann", "removed")]
    assert reaper.flags() == {}


def test_after_a_team_sync_refusal_nothing_more_is_sent_to_that_team(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """Two due members; GitHub refuses the first for team sync: the second is not asked for."""
    team = sim.add_team("copilot-users", org="acme")
    for login in ("ann", "bob"):
        team.add_member(login)
        team_seat(sim, clock, login)
    reaper = reaper_for(sim, clock, tmp_path)
    assert reaper.run().report.totals.newly_flagged == 2
    clock.advance(days=8)
    sim.inject(
        Fault(path="/memberships/", method="DELETE", status=403, body={"message": SYNC_REMOVAL})
    )
    outcome = reaper.run()
    assert [w for w in writes(sim) if w[0] == "DELETE"] == [("DELETE", MEMBERSHIP + "ann")]
    assert sorted(e.login for e in outcome.report.entries("needs_person")) == ["ann", "bob"]
    assert sorted(r[2] or "" for r in removals(reaper)) == ["not removed", "not removed"]
