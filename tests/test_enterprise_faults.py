"""Faults on the enterprise path: split pages, a changing list, a lost record, a failed re-read."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from reaper.core.domain import enterprise_scope
from reaper.store import CancelIntent, SqlStore
from tests.harness import DAY, Reaper

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import RecordedRequest, Simulator
    from tests.conftest import FakeClock

ENT = enterprise_scope("corp")
SEATS = "^/enterprises/corp/copilot/billing/seats$"


@pytest.fixture
def corp(sim: Simulator) -> Simulator:
    """Enterprise corp with orgs corp-a and corp-b."""
    sim.add_enterprise("corp")
    sim.add_org("corp-a", enterprise="corp")
    sim.add_org("corp-b", enterprise="corp")
    return sim


def grant(sim: Simulator, clock: FakeClock, scope: str, login: str, idle: int = 45) -> None:
    """A 400-day-old grant last used ``idle`` days ago."""
    used = clock.now - idle * DAY
    sim.add_seat(scope, login, created_at=clock.now - 400 * DAY, last_activity_at=used)


def enterprise_reaper(sim: Simulator, clock: FakeClock, tmp: Path) -> Reaper:
    return Reaper(sim, clock, tmp, overrides={"github_orgs": [], "github_enterprise": "corp"})


def test_a_person_split_across_pages_is_one_person(
    corp: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """150 persons each granted by two orgs: 300 records over 3 pages, 150 persons, 150 flags."""
    for n in range(150):
        grant(corp, clock, "corp-a", f"dev{n:03d}")
        grant(corp, clock, "corp-b", f"dev{n:03d}")
    reaper = enterprise_reaper(corp, clock, tmp_path)
    outcome = reaper.run()
    assert outcome.ok
    pages = [r for r in corp.requests if r.path == "/enterprises/corp/copilot/billing/seats"]
    assert len(pages) == 4  # the preflight's one-record page, then three of 100
    totals = outcome.report.totals
    assert (totals.persons, totals.seats, totals.newly_flagged) == (150, 300, 150)
    assert len(reaper.flags()) == 150


def test_enterprise_list_changing_while_read_is_read_again(
    corp: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A grant added while the first page is served: the list is read again, then trusted."""
    for n in range(120):
        grant(corp, clock, "corp-a", f"dev{n:03d}")
    reads = 0

    def grow_once(request: RecordedRequest) -> bool:
        """While the first full read is under way, one more person gets a seat."""
        nonlocal reads
        if request.path.endswith("/enterprises/corp/copilot/billing/seats") and (
            "page=2" in request.url
        ):
            reads += 1
            if reads == 1:
                grant(corp, clock, "corp-b", "newcomer", idle=1)
        return False

    corp.before_request = grow_once
    reaper = enterprise_reaper(corp, clock, tmp_path)
    outcome = reaper.run()
    corp.before_request = None
    assert outcome.ok, outcome.report.orgs[0].errors
    assert outcome.report.totals.persons == 121
    assert reaper.waits == [2.0]  # one logged rescan wait


def test_a_failed_recheck_keeps_every_due_person(
    corp: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """When the re-read before cancelling fails, nobody is cancelled and every flag stays."""
    for n in range(5):
        grant(corp, clock, "corp-a", f"dev{n}")
    reaper = enterprise_reaper(corp, clock, tmp_path)
    assert reaper.run().ok
    clock.advance(days=8)
    corp.reset_records()
    listed = 0

    def fail_the_second_read(request: RecordedRequest) -> bool:
        """The scan reads fine; the re-check (the next full read) hangs up."""
        nonlocal listed
        if request.path == "/enterprises/corp/copilot/billing/seats" and "per_page=100" in (
            request.url
        ):
            listed += 1
            return listed >= 2
        return False

    corp.before_request = fail_the_second_read
    outcome = reaper.run()
    corp.before_request = None
    assert reaper.cancel_requests() == []
    assert len(reaper.flags()) == 5
    assert not outcome.ok
    assert "could not re-read" in str(outcome.report.orgs[0].errors)


def test_a_lost_enterprise_cancel_is_reconciled(
    corp: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """An enterprise cancel sent but never recorded is confirmed by the next cycle's re-read."""
    grant(corp, clock, ENT, "gone-gus")
    reaper = enterprise_reaper(corp, clock, tmp_path)
    assert reaper.run().ok
    store = SqlStore(reaper.state_url)
    store.commit(open_intents=[CancelIntent(ENT, "gone-gus", clock.now)])
    store.close()
    # The process died after GitHub took the cancel: the grant is pending cancellation now.
    corp.remove_seat(ENT, "gone-gus")
    pending = (clock.now + 10 * DAY).date()
    corp.add_seat(
        ENT, "gone-gus", created_at=clock.now - 400 * DAY, pending_cancellation_date=pending
    )
    corp.reset_records()
    outcome = reaper.run()
    assert ("seat.cancelled", "gone-gus") in reaper.audit()
    assert reaper.flags() == {}
    assert [e.login for e in outcome.report.entries("cancelled")] == ["gone-gus"]
    member = [r for r in corp.requests if r.path == "/enterprises/corp/members/gone-gus/copilot"]
    assert member


def test_a_flag_follows_its_person_without_a_new_grace_period(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """Reported under another org once a grant there appears, the flag moves but keeps its date."""
    sim.add_org("other")
    grant(sim, clock, "other", "roam")
    reaper = Reaper(sim, clock, tmp_path, overrides={"github_orgs": ["acme", "other"]})
    assert reaper.run().ok
    (before,) = reaper.flags().values()
    assert before.org == "other"
    clock.advance(days=3)
    # Now also granted by acme, listed first in the settings; last used longer ago there.
    grant(sim, clock, "acme", "roam", idle=50)
    moved = reaper.run()
    assert moved.report.totals.newly_flagged == 0
    (after,) = reaper.flags().values()
    assert (after.org, after.flagged_at, after.warned_at, after.due_at) == (
        "acme",
        before.flagged_at,
        before.warned_at,
        before.due_at,
    )
    clock.advance(days=5)  # past the due date promised on the first day
    assert reaper.run().report.totals.cancelled == 1
    assert sorted(login for batch in reaper.cancel_requests() for login in batch) == [
        "roam",
        "roam",
    ]


@pytest.mark.parametrize(
    ("activity", "flagged"), [("last_activity", 1), ("last_activity_or_authentication", 0)]
)
def test_a_recent_sign_in_counts_only_when_asked(
    sim: Simulator, clock: FakeClock, tmp_path: Path, activity: str, flagged: int
) -> None:
    """REAPER_ACTIVITY: a sign-in yesterday after 45 idle days counts as use only when asked."""
    grant(sim, clock, "acme", "signin")
    record = sim.seat("acme", "signin")
    assert record is not None
    sim.remove_seat("acme", "signin")
    record["last_authenticated_at"] = (clock.now - DAY).isoformat()
    sim.add_raw_seat("acme", record)
    reaper = Reaper(sim, clock, tmp_path, overrides={"activity": activity, "dry_run": True})
    assert reaper.run().report.totals.newly_flagged == flagged
