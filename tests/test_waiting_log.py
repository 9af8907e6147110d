"""A failed list makes its persons wait: one INFO line per failure, each person at DEBUG."""

from __future__ import annotations

from typing import TYPE_CHECKING

from structlog.testing import capture_logs

from reaper.simulator import Fault
from tests.harness import DAY, Reaper

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator
    from tests.conftest import FakeClock

PERSONS = 30


def test_persons_waiting_for_a_failed_list_are_counted_in_one_info_line(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """30 persons granted in a failing globex: one `org.persons_waiting` INFO, 30 DEBUG lines."""
    sim.add_org("globex")
    for n in range(PERSONS):
        for org in ("acme", "globex"):
            sim.add_seat(
                org,
                f"split{n:02d}",
                created_at=clock.now - 400 * DAY,
                last_activity_at=clock.now - 45 * DAY,
            )
    sim.add_seat("acme", "solo", created_at=clock.now - 400 * DAY, last_activity_at=clock.now)
    reaper = Reaper(sim, clock, tmp_path, overrides={"github_orgs": ["acme", "globex"]})
    reaper.run()  # both lists read: where each person holds grants is remembered
    clock.advance(days=1)
    sim.inject(
        Fault(method="GET", path="^/orgs/globex/copilot/billing/seats$", status=500, times=1000)
    )
    with capture_logs() as logs:
        outcome = reaper.run()
    assert outcome.report.totals.waiting == PERSONS
    summary = [e for e in logs if e["event"] == "org.persons_waiting"]
    assert len(summary) == 1
    assert summary[0]["log_level"] == "info"
    assert summary[0]["persons"] == PERSONS
    assert "globex" in summary[0]["reason"]
    each = [e for e in logs if e["event"] == "seat.waiting"]
    assert {e["log_level"] for e in each} == {"debug"}
    assert sorted(e["login"] for e in each) == [f"split{n:02d}" for n in range(PERSONS)]


def test_no_list_failing_logs_no_waiting_line(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """With every list read, nobody waits and no waiting line is logged."""
    sim.add_org("globex")
    for org in ("acme", "globex"):
        sim.add_seat(org, "split", created_at=clock.now - 400 * DAY, last_activity_at=clock.now)
    reaper = Reaper(sim, clock, tmp_path, overrides={"github_orgs": ["acme", "globex"]})
    with capture_logs() as logs:
        outcome = reaper.run()
    assert outcome.report.totals.waiting == 0
    assert [e for e in logs if e["event"] in {"org.persons_waiting", "seat.waiting"}] == []
