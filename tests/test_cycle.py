"""Whole cycles against the simulator over a real socket, across simulated days."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from reaper.simulator import Fault
from tests.conftest import GITHUB_TOKEN
from tests.harness import DAY, Reaper, active_seat, idle_seat
from tests.simulator.openapi_check import assert_request_conforms
from tests.simulator.test_teams_contract import teams_openapi

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator
    from tests.conftest import FakeClock

SEATS = "^/orgs/acme/copilot/billing/seats$"


@pytest.fixture
def reaper(sim: Simulator, clock: FakeClock, tmp_path: Path) -> Reaper:
    """A live reaper (inactive after 30 days, 7 days' grace) on the simulator."""
    return Reaper(sim, clock, tmp_path)


def report_text(sim: Simulator) -> str:
    return json.dumps(sim.slack_messages)


def test_first_run_flags_and_never_cancels(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """The first live cycle flags idle seats, warns about them, and cancels nobody."""
    idle_seat(sim, clock, "idle-ian")
    active_seat(sim, clock, "busy-bea")
    sim.add_seat("acme", "new-nia", created_at=clock.now - 2 * DAY)
    outcome = reaper.run()
    assert outcome.ok
    assert set(reaper.flags()) == {("acme", "idle-ian")}
    assert reaper.flags()[("acme", "idle-ian")].due_at == clock.now + 7 * DAY
    assert reaper.cancel_requests() == []
    assert "idle-ian" in report_text(sim)
    assert outcome.report.totals.newly_flagged == 1
    assert outcome.report.totals.active == 2


def test_cancel_only_after_the_full_grace_period(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """A flagged seat is cancelled at its due date, not a moment before, in one batch."""
    idle_seat(sim, clock, "idle-ian")
    idle_seat(sim, clock, "idle-ivy", days=100)
    reaper.run()
    clock.advance(days=7, seconds=-1)
    reaper.run()
    assert reaper.cancel_requests() == []
    clock.advance(seconds=1)
    outcome = reaper.run()
    assert outcome.ok
    assert [sorted(batch) for batch in reaper.cancel_requests()] == [["idle-ian", "idle-ivy"]]
    assert sim.seat("acme", "idle-ian")["pending_cancellation_date"] is not None
    assert reaper.flags() == {}
    assert outcome.report.totals.cancelled == 2
    events = reaper.audit()
    assert events.index(("cancel.requested", "idle-ian")) < events.index(
        ("seat.cancelled", "idle-ian")
    )


def test_user_who_comes_back_is_unflagged(reaper: Reaper, sim: Simulator, clock: FakeClock) -> None:
    """A flagged user who uses Copilot again is reported as reactivated and keeps the seat."""
    idle_seat(sim, clock, "idle-ian")
    reaper.run()
    clock.advance(days=3)
    sim.set_activity("acme", "idle-ian", clock.now - DAY)
    outcome = reaper.run()
    assert outcome.report.totals.reactivated == 1
    assert reaper.flags() == {}
    clock.advance(days=10)
    reaper.run()
    assert reaper.cancel_requests() == []


def test_seat_used_between_scan_and_cancel_is_spared(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """The re-read right before cancelling spares a seat that became active since the scan."""
    idle_seat(sim, clock, "idle-ian")
    reaper.run()
    clock.advance(days=8)
    stale = {"total_seats": 1, "seats": [sim.seat("acme", "idle-ian")]}  # the list before...
    sim.set_activity("acme", "idle-ian", clock.now - DAY / 24)  # ...the user came back
    sim.inject(Fault(path=SEATS, status=200, body=stale))
    outcome = reaper.run()
    assert reaper.cancel_requests() == []
    assert outcome.report.totals.reactivated == 1
    assert reaper.flags() == {}


def test_team_seat_is_left_to_a_person(reaper: Reaper, sim: Simulator, clock: FakeClock) -> None:
    """A due seat granted through a team is never sent to GitHub and is reported with its team."""
    idle_seat(sim, clock, "team-tom", team="platform")
    idle_seat(sim, clock, "idle-ian")
    reaper.run()
    clock.advance(days=7)
    outcome = reaper.run()
    assert reaper.cancel_requests() == [["idle-ian"]]
    assert [e.login for e in outcome.report.entries("needs_person")] == ["team-tom"]
    assert outcome.report.entries("needs_person")[0].team == "platform"
    assert ("acme", "team-tom") in reaper.flags()


def test_pending_and_exempt_seats_are_left_alone(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """Seats already pending, exempt users and exempt teams are never flagged."""
    idle_seat(sim, clock, "leaving-lu", pending_cancellation_date="2026-04-01")
    idle_seat(sim, clock, "Boss")
    idle_seat(sim, clock, "lead-lee", team="leadership")
    reaper.overrides = {"exempt_users": ["boss"], "exempt_teams": ["leadership"]}
    outcome = reaper.run()
    assert reaper.flags() == {}
    totals = outcome.report.totals
    assert (totals.already_pending, totals.exempt, totals.newly_flagged) == (1, 2, 0)


def test_seat_that_disappears_is_forgotten(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """A flagged seat removed from the org is forgotten, not cancelled."""
    idle_seat(sim, clock, "idle-ian")
    reaper.run()
    sim.remove_seat("acme", "idle-ian")
    clock.advance(days=8)
    reaper.run()
    assert reaper.flags() == {}
    assert reaper.cancel_requests() == []
    assert ("flag.dropped", "idle-ian") in reaper.audit()


def test_every_page_is_read(reaper: Reaper, sim: Simulator, clock: FakeClock) -> None:
    """Seats on every page are seen: 250 seats take three pages of 100."""
    for number in range(250):
        idle_seat(sim, clock, f"user{number:03d}")
    outcome = reaper.run()
    assert outcome.report.totals.seats == 250
    assert len(reaper.flags()) == 250
    pages = [r for r in sim.requests if r.path.endswith("/copilot/billing/seats")]
    assert len(pages) == 3
    assert all("per_page=100" in r.url for r in pages)


def test_transient_failures_are_retried(reaper: Reaper, sim: Simulator, clock: FakeClock) -> None:
    """A 503, a dropped connection and a 429 with Retry-After are retried; the wait is honoured."""
    idle_seat(sim, clock, "idle-ian")
    sim.inject(Fault(path=SEATS, status=503))
    sim.inject(Fault(path=SEATS, disconnect=True))
    sim.inject(Fault(path=SEATS, status=429, headers={"Retry-After": "42"}))
    outcome = reaper.run()
    assert outcome.ok
    assert 42.0 in reaper.waits
    assert len(reaper.waits) == 3
    assert ("acme", "idle-ian") in reaper.flags()


def test_unreadable_page_means_no_action(reaper: Reaper, sim: Simulator, clock: FakeClock) -> None:
    """An unreadable page skips the org whole: flags kept, nothing cancelled or added."""
    sim.add_org("other")
    idle_seat(sim, clock, "idle-ian")
    sim.add_seat("other", "idle-olga", created_at=clock.now - 400 * DAY, last_activity_at=None)
    reaper.overrides = {"github_orgs": ["acme", "other"]}
    reaper.run()
    clock.advance(days=8)
    idle_seat(sim, clock, "idle-new")
    sim.inject(Fault(path=SEATS, status=502, times=10))
    outcome = reaper.run()
    assert not outcome.ok
    assert reaper.cancel_requests() == [["idle-olga"]]  # the other org went on
    assert set(reaper.flags()) == {("acme", "idle-ian")}  # kept; idle-new not flagged
    assert "could not be read" in report_text(sim)
    assert ("scan.incomplete", None) in reaper.audit()


def test_short_list_counts_as_incomplete(reaper: Reaper, sim: Simulator, clock: FakeClock) -> None:
    """A list with fewer seats than total_seats is not trusted."""
    idle_seat(sim, clock, "idle-ian")
    sim.inject(Fault(path=SEATS, status=200, body={"total_seats": 2, "seats": []}, times=3))
    outcome = reaper.run()
    assert not outcome.ok
    assert reaper.flags() == {}


def test_bad_records_are_skipped_and_reported(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """Records without assignee or with a broken timestamp are counted, reported, not acted on."""
    idle_seat(sim, clock, "idle-ian")
    sim.add_raw_seat("acme", {"created_at": "2020-01-01T00:00:00Z", "assignee": None})
    sim.add_raw_seat("acme", {"created_at": "yesterday", "assignee": {"login": "broken-bo"}})
    outcome = reaper.run()
    assert outcome.ok
    assert outcome.report.totals.errors == 2
    assert outcome.report.totals.seats == 3
    assert set(reaper.flags()) == {("acme", "idle-ian")}
    assert "broken-bo" in report_text(sim)


def test_dry_run_changes_nothing(reaper: Reaper, sim: Simulator, clock: FakeClock) -> None:
    """A dry run reports what it would do, sends no cancel and writes no state."""
    idle_seat(sim, clock, "idle-ian")
    reaper.run()
    clock.advance(days=8)
    reaper.overrides = {"dry_run": True}
    sim.reset_records()
    outcome = reaper.run()
    assert outcome.report.dry_run
    assert outcome.report.totals.cancelled == 1
    assert reaper.cancel_requests() == []
    assert {r.method for r in sim.requests if "/orgs/" in r.path} == {"GET"}
    assert ("acme", "idle-ian") in reaper.flags()
    assert "DRY RUN" in report_text(sim)


def test_failed_delivery_does_not_start_the_grace_period(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """A warning that did not reach Slack starts no grace period; the next delivery does."""
    idle_seat(sim, clock, "idle-ian")
    sim.inject(Fault(path="^/slack/webhook/", status=500, times=20))
    outcome = reaper.run()
    assert not outcome.ok
    assert reaper.flags()[("acme", "idle-ian")].due_at is None
    sim.clear_faults()
    clock.advance(days=10)
    outcome = reaper.run()
    assert outcome.ok
    assert reaper.cancel_requests() == []
    assert [e.login for e in outcome.report.entries("flagged")] == ["idle-ian"]
    assert reaper.flags()[("acme", "idle-ian")].due_at == clock.now + 7 * DAY


def test_failed_cancel_keeps_the_flag_for_the_next_cycle(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """A cancel that fails after retries keeps the flag, is audited, and succeeds next cycle."""
    idle_seat(sim, clock, "idle-ian")
    reaper.run()
    clock.advance(days=8)
    sim.inject(Fault(path="selected_users$", method="DELETE", status=500, times=5))
    outcome = reaper.run()
    assert not outcome.ok
    assert ("cancel.failed", "idle-ian") in reaper.audit()
    assert ("acme", "idle-ian") in reaper.flags()
    outcome = reaper.run()
    assert outcome.ok
    assert sim.seat("acme", "idle-ian")["pending_cancellation_date"] is not None


def test_refused_batch_falls_back_to_one_at_a_time(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """When GitHub refuses a batch (422), each seat is tried alone, a second apart."""
    idle_seat(sim, clock, "idle-ian")
    idle_seat(sim, clock, "idle-ivy")
    reaper.run()
    clock.advance(days=8)
    sim.inject(
        Fault(
            path="selected_users$",
            method="DELETE",
            status=422,
            body={"message": "Validation Failed"},
        )
    )
    outcome = reaper.run()
    assert outcome.ok
    assert sorted(map(len, reaper.cancel_requests())) == [1, 1, 2]
    assert reaper.waits.count(1.0) >= 2


def test_requests_follow_githubs_published_schema(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """Every request of a full cycle carries GitHub's headers and conforms to the OpenAPI schema."""
    idle_seat(sim, clock, "idle-ian")
    active_seat(sim, clock, "busy-bea")
    reaper.run()
    clock.advance(days=8)
    reaper.run()
    github = [r for r in sim.requests if not r.path.startswith(("/slack/", "/usage-files/"))]
    assert {r.method for r in github} == {"GET", "DELETE"}
    for request in github:
        usage = "/copilot/metrics/reports/" in request.path  # in the usage subset of the spec
        assert_request_conforms(request, teams_openapi() if usage else None)
        assert request.headers["authorization"] == f"Bearer {GITHUB_TOKEN}"
        assert request.headers["accept"] == "application/vnd.github+json"
        assert request.headers["x-github-api-version"] == "2022-11-28"
        assert request.headers["user-agent"].startswith("copilot-seat-reaper/")
