"""One decision per person across orgs and an enterprise, against the simulator over loopback."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pytest

from reaper.core.domain import enterprise_scope
from reaper.report import Prices
from reaper.report.export import report_dict
from reaper.simulator import Simulator
from tests.conftest import GITHUB_TOKEN
from tests.harness import DAY, Reaper

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.cycle.orchestrator import CycleOutcome
    from reaper.simulator import RecordedRequest
    from tests.conftest import FakeClock

ENT = enterprise_scope("acme-corp")


@pytest.fixture
def estate(sim: Simulator) -> Simulator:
    """Enterprise acme-corp with orgs acme-eng and acme-web (org acme stays outside)."""
    sim.add_enterprise("acme-corp")
    sim.add_org("acme-eng", enterprise="acme-corp")
    sim.add_org("acme-web", enterprise="acme-corp")
    return sim


def grant(
    sim: Simulator, clock: FakeClock, scope: str, login: str, idle: int = 45, **kw: Any
) -> None:
    sim.add_seat(
        scope,
        login,
        created_at=clock.now - 400 * DAY,
        last_activity_at=clock.now - idle * DAY,
        **kw,
    )


def reaper_for(sim: Simulator, clock: FakeClock, tmp: Path, **overrides: Any) -> Reaper:
    return Reaper(sim, clock, tmp, overrides=overrides)


def cancelled_by_path(sim: Simulator) -> dict[str, list[str]]:
    """Every DELETE sent, by path: who was asked to go where."""
    sent: dict[str, list[str]] = {}
    for r in sim.requests:
        if r.method == "DELETE" and r.json is not None:
            sent.setdefault(r.path, []).extend(r.json["selected_usernames"])
    return sent


def flag_then_due(reaper: Reaper, clock: FakeClock) -> CycleOutcome:
    first = reaper.run()
    assert first.ok, first.report.orgs
    clock.advance(days=8)
    return reaper.run()


def test_person_in_two_orgs_is_cancelled_in_both_and_counted_once(
    estate: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """Idle in orgs acme and acme-web: one flag, both grants cancelled, one seat saved."""
    grant(estate, clock, "acme-eng", "idle-ida")
    grant(estate, clock, "acme-web", "idle-ida")
    grant(estate, clock, "acme-eng", "busy-bo", idle=1)
    reaper = reaper_for(estate, clock, tmp_path, github_orgs=["acme-eng", "acme-web"])
    first = reaper.run()
    assert first.report.totals.newly_flagged == 1
    assert list(reaper.flags()) == [("acme-eng", "idle-ida")]
    clock.advance(days=8)
    outcome = reaper.run()
    assert outcome.ok
    assert cancelled_by_path(estate) == {
        "/orgs/acme-eng/copilot/billing/selected_users": ["idle-ida"],
        "/orgs/acme-web/copilot/billing/selected_users": ["idle-ida"],
    }
    totals = outcome.report.totals
    assert (totals.persons, totals.seats, totals.cancelled, totals.grants_removed) == (2, 3, 1, 2)
    assert reaper.flags() == {}
    saving = report_dict(outcome.report, Prices(19.0, 39.0))["savings_per_month_usd"]
    assert saving["cancelled"] == 19.0


def test_person_active_in_one_org_is_not_flagged(
    estate: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """Idle in acme but active in acme-web: the person is in use, nothing is flagged."""
    grant(estate, clock, "acme-eng", "half-hal")
    grant(estate, clock, "acme-web", "half-hal", idle=2)
    reaper = reaper_for(estate, clock, tmp_path, github_orgs=["acme-eng", "acme-web"])
    outcome = reaper.run()
    assert outcome.report.totals.newly_flagged == 0
    assert outcome.report.totals.active == 1
    assert reaper.flags() == {}


def test_enterprise_reads_every_grant_and_cancels_where_each_lives(
    estate: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """An enterprise alone: org grants go by the org endpoint, direct ones by the enterprise's."""
    grant(estate, clock, "acme-eng", "idle-ida")
    grant(estate, clock, "acme-web", "idle-ida")
    grant(estate, clock, ENT, "idle-ida")
    grant(estate, clock, ENT, "solo-sam")
    reaper = reaper_for(estate, clock, tmp_path, github_orgs=[], github_enterprise="acme-corp")
    outcome = flag_then_due(reaper, clock)
    assert outcome.ok, outcome.report.orgs[0].errors
    sent = cancelled_by_path(estate)
    assert sorted(sent["/enterprises/acme-corp/copilot/billing/selected_users"]) == [
        "idle-ida",
        "solo-sam",
    ]
    assert sent["/orgs/acme-eng/copilot/billing/selected_users"] == ["idle-ida"]
    assert sent["/orgs/acme-web/copilot/billing/selected_users"] == ["idle-ida"]
    assert outcome.report.totals.cancelled == 2
    assert [o.org for o in outcome.report.orgs] == [ENT]
    listed = [r.path for r in estate.requests if r.path.endswith("/copilot/billing/seats")]
    assert all(path.startswith("/enterprises/") for path in listed)


def test_enterprise_team_grant_needs_a_person_and_is_never_sent(
    estate: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A grant through an enterprise team: reported once as needing a person, with the team."""
    grant(estate, clock, ENT, "team-tom", team="ent-devs")
    grant(estate, clock, "acme-eng", "team-tom", team="platform")
    reaper = reaper_for(estate, clock, tmp_path, github_orgs=[], github_enterprise="acme-corp")
    outcome = flag_then_due(reaper, clock)
    assert cancelled_by_path(estate) == {}
    (entry,) = outcome.report.entries("needs_person")
    assert entry.login == "team-tom"
    assert set(entry.teams) == {"ent-devs", "platform"}
    assert outcome.report.totals.cancelled == 0
    assert (
        report_dict(outcome.report, Prices(19.0, 39.0))["savings_per_month_usd"]["cancelled"] == 0
    )


def test_direct_grants_go_but_a_team_grant_keeps_the_seat(
    estate: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """Removing a direct grant of a person a team still grants saves nothing and says so."""
    grant(estate, clock, "acme-eng", "mixed-max")
    grant(estate, clock, ENT, "mixed-max", team="ent-devs")
    reaper = reaper_for(estate, clock, tmp_path, github_orgs=[], github_enterprise="acme-corp")
    outcome = flag_then_due(reaper, clock)
    assert cancelled_by_path(estate) == {
        "/orgs/acme-eng/copilot/billing/selected_users": ["mixed-max"]
    }
    (entry,) = outcome.report.entries("needs_person")
    assert "saved nothing" in entry.reason
    assert outcome.report.totals.cancelled == 0
    assert outcome.report.totals.grants_removed == 1
    assert (ENT, "mixed-max") in reaper.flags()  # kept: a person must act on the team


def test_configured_org_inside_the_enterprise_is_read_once(
    estate: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """An org whose grants the enterprise list holds is not listed again; people report under it."""
    grant(estate, clock, "acme-eng", "idle-ida")
    grant(estate, clock, ENT, "solo-sam")
    reaper = reaper_for(
        estate, clock, tmp_path, github_orgs=["acme-eng"], github_enterprise="acme-corp"
    )
    outcome = reaper.run()
    assert outcome.ok
    lists = [r.path for r in estate.requests if r.path.endswith("/copilot/billing/seats")]
    assert "/orgs/acme-eng/copilot/billing/seats" not in lists  # preflight and one read
    assert set(lists) == {"/enterprises/acme-corp/copilot/billing/seats"}
    flagged = {(e.org, e.login) for e in outcome.report.entries("flagged")}
    assert flagged == {("acme-eng", "idle-ida"), (ENT, "solo-sam")}


def test_fine_grained_token_fails_the_enterprise_but_orgs_go_on(
    clock: FakeClock, tmp_path: Path
) -> None:
    """A fine-grained token is refused for the enterprise with the fix named; orgs still run."""
    token = "github_pat_11AAAAAAA0" + "b" * 70
    with Simulator(token=token, clock=clock) as sim:
        sim.add_enterprise("acme-corp")
        sim.add_org("acme", enterprise="acme-corp")
        grant(sim, clock, "acme", "idle-ida")
        reaper = reaper_for(
            sim,
            clock,
            tmp_path,
            github_token=token,
            github_orgs=["acme"],
            github_enterprise="acme-corp",
        )
        outcome = reaper.run()
    enterprise = next(o for o in outcome.report.orgs if o.org == ENT)
    assert enterprise.failed
    assert "classic" in enterprise.errors[0]
    assert token not in str(enterprise.errors)
    assert outcome.report.totals.newly_flagged == 1


def test_recheck_reads_the_list_once_when_cheaper(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """Many due seats on one page: the re-check is one fresh list read, not one read each."""
    for n in range(30):
        grant(sim, clock, "acme", f"idle{n:02d}")
    reaper = reaper_for(sim, clock, tmp_path)
    sim.reset_records()
    outcome = flag_then_due(reaper, clock)
    assert outcome.report.totals.cancelled == 30
    one_seat = [r for r in sim.requests if "/members/" in r.path]
    assert one_seat == []
    assert [len(b) for b in reaper.cancel_requests()] == [30]


def test_refused_chunk_is_split_in_halves(sim: Simulator, clock: FakeClock, tmp_path: Path) -> None:
    """One name GitHub refuses among forty costs a few halving requests, not forty singles."""
    for n in range(40):
        grant(sim, clock, "acme", f"idle{n:02d}")
    reaper = reaper_for(sim, clock, tmp_path)
    reaper.run()
    clock.advance(days=8)

    def team_grant_appears(request: RecordedRequest) -> bool:
        """Right before the first cancel, idle17's seat becomes a team grant."""
        if request.method == "DELETE" and sim.seat("acme", "idle17", team="platform") is None:
            sim.remove_seat("acme", "idle17")
            grant(sim, clock, "acme", "idle17", team="platform")
        return False

    sim.before_request = team_grant_appears
    sim.reset_records()
    outcome = reaper.run()
    sim.before_request = None
    batches = reaper.cancel_requests()
    assert len(batches) <= 2 * math.ceil(math.log2(40)) + 1
    assert outcome.report.totals.cancelled == 39
    assert ("acme", "idle17") in reaper.flags()
    assert "idle17" in str(outcome.report.orgs[0].errors)


def test_budget_short_acts_on_the_oldest_and_leaves_the_rest(
    clock: FakeClock, tmp_path: Path
) -> None:
    """Too few requests left: some due persons act now, the rest wait; every cycle progresses."""
    with Simulator(token=GITHUB_TOKEN, clock=clock, rate_limit=38) as sim:
        sim.add_org("acme")
        for n in range(6):
            grant(sim, clock, "acme", f"idle{n}")
        for n in range(300):
            grant(sim, clock, "acme", f"busy{n:03d}", idle=1)
        # the budget is counted to the request: no usage report read (it has its own tests)
        reaper = reaper_for(sim, clock, tmp_path, github_rate_limit_reserve=20, usage_report="off")
        assert reaper.run().ok
        clock.advance(days=8)
        done: list[int] = []
        for _ in range(4):
            outcome = reaper.run()
            assert not outcome.report.failed
            done.append(sum(len(batch) for batch in reaper.cancel_requests()))
            if done[-1] == 6:
                break
            assert "left for the next cycle" in str(outcome.report.orgs[0].errors)
            clock.advance(hours=2)  # a new hourly budget
        cancelled = sorted(login for batch in reaper.cancel_requests() for login in batch)
    assert cancelled == [f"idle{n}" for n in range(6)]
    assert done == sorted(set(done))  # each cycle got further than the one before
    assert len(done) > 1
