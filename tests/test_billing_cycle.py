"""REAPER_CANCEL_TIMING=cycle_end: real cycles on the simulator, a real SQLite state."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pytest

from reaper.metrics import Metrics
from reaper.store import SqlStore
from tests.deploy.test_service_http import metric
from tests.harness import DAY, Reaper, idle_seat

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator
    from tests.conftest import FakeClock

FLAGGED = datetime(2026, 5, 27, 9, 0, tzinfo=UTC)  # a Wednesday: due a week later, on 3 June


@pytest.fixture
def reaper(sim: Simulator, clock: FakeClock, tmp_path: Path) -> Reaper:
    """A live reaper cancelling at the cycle end, with a person flagged and warned on 27 May."""
    clock.now = FLAGGED
    idle_seat(sim, clock, "idle-ida")
    return Reaper(sim, clock, tmp_path, {"cancel_timing": "cycle_end"})


def at(clock: FakeClock, day: date) -> None:
    """Move the clock to 09:00 UTC of ``day`` (the weekday schedule's run)."""
    clock.now = datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)


def cancelled(sim: Simulator) -> list[str]:
    """Every login sent in a cancel request so far."""
    return [
        login
        for r in sim.requests
        if r.method == "DELETE" and r.json is not None
        for login in r.json["selected_usernames"]
    ]


def cycles(reaper: Reaper) -> dict[str, date]:
    """The billing-cycle dates the state store holds."""
    store = SqlStore(reaper.state_url)
    try:
        return store.billing_cycles()
    finally:
        store.close()


def text_of(message: dict[str, Any]) -> str:
    """Every text of a posted Slack message, joined."""
    return str(message)


def test_due_on_the_3rd_is_cancelled_on_the_last_weekday_run_before_the_margin(
    sim: Simulator, clock: FakeClock, reaper: Reaper
) -> None:
    """Due on 3 June, cycle on 1 July, margin 3: kept until Friday 26 June, cancelled then."""
    reaper.overrides |= {"billing_cycle_day": 1, "cycle_margin_days": 3}
    reaper.run()  # flagged and warned on 27 May
    at(clock, date(2026, 6, 3))
    reaper.run()
    assert cancelled(sim) == []
    assert ("acme", "idle-ida") in reaper.flags()
    said = text_of(sim.slack_messages[-1])
    assert "cancels on 2026-06-26, the last run that still saves the next month" in said
    at(clock, date(2026, 6, 25))
    reaper.run()
    assert cancelled(sim) == []
    at(clock, date(2026, 6, 26))
    reaper.run()
    assert cancelled(sim) == ["idle-ida"]
    assert sim.seat("acme", "idle-ida")["pending_cancellation_date"] == "2026-07-01"


def test_the_cycle_date_is_learnt_from_a_seat_and_kept(
    sim: Simulator, clock: FakeClock, reaper: Reaper
) -> None:
    """A seat's pending_cancellation_date sets the scope's cycle date, kept once it is gone."""
    sim.add_seat(
        "acme",
        "leaving-lou",
        created_at=clock.now - 400 * DAY,
        pending_cancellation_date="2026-06-15",
    )
    reaper.run()
    assert cycles(reaper) == {"acme": date(2026, 6, 15)}
    at(clock, date(2026, 6, 3))  # due today; the last weekday run at least 2 days before 15 June
    reaper.run()
    assert cancelled(sim) == []
    at(clock, date(2026, 6, 12))  # Friday 12 June: the last run before the 13th
    reaper.run()
    assert cancelled(sim) == ["idle-ida"]


def test_a_passed_cycle_date_moves_forward_a_month(
    sim: Simulator, clock: FakeClock, reaper: Reaper
) -> None:
    """Once the stored cycle date has passed, it is moved forward a month and stored."""
    sim.add_seat(
        "acme",
        "leaving-lou",
        created_at=clock.now - 400 * DAY,
        pending_cancellation_date="2026-06-01",
    )
    reaper.run()
    assert cycles(reaper) == {"acme": date(2026, 6, 1)}
    sim.remove_seat("acme", "leaving-lou")
    at(clock, date(2026, 6, 2))
    reaper.run()
    assert cycles(reaper) == {"acme": date(2026, 7, 1)}


def test_a_person_who_comes_back_during_the_wait_keeps_the_seat(
    sim: Simulator, clock: FakeClock, reaper: Reaper
) -> None:
    """Due but waiting for the cycle end, a person who uses Copilot keeps the seat, unflagged."""
    reaper.overrides |= {"billing_cycle_day": 1}
    reaper.run()
    at(clock, date(2026, 6, 3))
    reaper.run()
    sim.set_activity("acme", "idle-ida", clock.now + DAY)
    at(clock, date(2026, 6, 29))
    reaper.run()
    assert cancelled(sim) == []
    assert reaper.flags() == {}
    assert ("seat.reactivated", "idle-ida") in reaper.audit()


def test_no_known_date_cancels_when_due_and_says_so_once(
    sim: Simulator, clock: FakeClock, reaper: Reaper
) -> None:
    """With no cycle date known, cycle_end acts as due and the report says so in one line."""
    idle_seat(sim, clock, "idle-ivo")
    reaper.run()
    at(clock, date(2026, 6, 3))
    reaper.run()
    assert sorted(cancelled(sim)) == ["idle-ida", "idle-ivo"]
    said = text_of(sim.slack_messages[-1])
    assert said.count("no billing-cycle date is known") == 1


def test_due_timing_is_unchanged(sim: Simulator, clock: FakeClock, reaper: Reaper) -> None:
    """REAPER_CANCEL_TIMING=due (the default) cancels the day the grace ends, as before."""
    reaper.overrides |= {"cancel_timing": "due", "billing_cycle_day": 1}
    reaper.run()
    at(clock, date(2026, 6, 3))
    reaper.run()
    assert cancelled(sim) == ["idle-ida"]


def test_a_dry_run_stores_no_cycle_date(sim: Simulator, clock: FakeClock, reaper: Reaper) -> None:
    """A dry run learns the cycle date for its report but writes nothing."""
    reaper.overrides |= {"dry_run": True}
    sim.add_seat(
        "acme",
        "leaving-lou",
        created_at=clock.now - 400 * DAY,
        pending_cancellation_date="2026-06-15",
    )
    reaper.run()
    assert cycles(reaper) == {}


def test_the_limits_count_the_day_the_cancels_happen(
    sim: Simulator, clock: FakeClock, reaper: Reaper
) -> None:
    """Cancels moved to the cycle end do not count today; the report warns of the held day."""
    reaper.overrides |= {"billing_cycle_day": 1, "max_cancellations": 1}
    idle_seat(sim, clock, "idle-ivo")
    reaper.run()
    at(clock, date(2026, 6, 3))
    outcome = reaper.run()
    assert not outcome.report.failed
    said = text_of(sim.slack_messages[-1])
    assert "the run of 2026-06-29 will be held by the blast-radius limit" in said


def test_the_metrics_show_the_cycle_and_who_waits(
    sim: Simulator, clock: FakeClock, reaper: Reaper
) -> None:
    """The metrics give the days to the next cycle date and the persons waiting for it."""
    reaper.overrides |= {"billing_cycle_day": 1}
    reaper.run()
    at(clock, date(2026, 6, 3))
    outcome = reaper.run()
    metrics = Metrics(dry_run=False)
    metrics.record_cycle(outcome, 1.0, None)
    text = metrics.render().decode()
    assert metric(text, "reaper_billing_cycle_days", org="acme") == 28  # 3 June to 1 July
    assert metric(text, "reaper_waiting_for_cycle_end", org="acme") == 1
