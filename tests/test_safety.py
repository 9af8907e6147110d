"""Refusing to act when unsure: blast-radius limits, preflight, rate limits, hostile answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from structlog.testing import capture_logs

from reaper.simulator import Fault, Simulator
from tests.conftest import GITHUB_TOKEN
from tests.harness import DAY, Reaper

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import FakeClock

SEATS = "^/orgs/acme/copilot/billing/seats$"


@pytest.fixture
def reaper(sim: Simulator, clock: FakeClock, tmp_path: Path) -> Reaper:
    """A live reaper (inactive after 30 days, 7 days' grace) on the simulator."""
    return Reaper(sim, clock, tmp_path)


def seats(sim: Simulator, clock: FakeClock, idle: int, active: int = 0, org: str = "acme") -> None:
    for n in range(idle):
        sim.add_seat(org, f"idle{n:03d}", created_at=clock.now - 400 * DAY, last_activity_at=None)
    for n in range(active):
        sim.add_seat(
            org, f"busy{n:03d}", created_at=clock.now - 400 * DAY, last_activity_at=clock.now
        )


def flag_and_wait(reaper: Reaper, clock: FakeClock) -> None:
    assert reaper.run().ok
    clock.advance(days=8)


def test_too_many_cancellations_cancel_nothing(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """Past REAPER_MAX_CANCELLATIONS the cycle cancels nothing, alerts, and keeps every flag."""
    seats(sim, clock, idle=6, active=100)
    reaper.overrides = {"max_cancellations": 5}
    flag_and_wait(reaper, clock)
    outcome = reaper.run()
    assert not outcome.ok
    assert reaper.cancel_requests() == []
    assert len(reaper.flags()) == 6
    assert "REAPER_MAX_CANCELLATIONS=5" in str(sim.slack_messages[-1])
    assert ("cancel.held", None) in reaper.audit()
    reaper.overrides = {"max_cancellations": 6}
    assert reaper.run().ok
    assert len(reaper.cancel_requests()[0]) == 6


def test_too_large_a_share_of_an_org_cancels_nothing(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """Past REAPER_MAX_CANCELLATION_PERCENT of an org's seats the cycle cancels nothing."""
    seats(sim, clock, idle=3, active=17)  # 15% of 20 seats
    reaper.overrides = {"max_cancellation_percent": 10}
    flag_and_wait(reaper, clock)
    outcome = reaper.run()
    assert not outcome.ok
    assert reaper.cancel_requests() == []
    assert "REAPER_MAX_CANCELLATION_PERCENT=10%" in str(sim.slack_messages[-1])


def test_limits_hold_in_a_dry_run_too(reaper: Reaper, sim: Simulator, clock: FakeClock) -> None:
    """A dry run predicts the hold: it reports the breach and fails like a live run would."""
    seats(sim, clock, idle=6, active=10)
    reaper.overrides = {"max_cancellations": 5}
    flag_and_wait(reaper, clock)
    reaper.overrides = {"max_cancellations": 5, "dry_run": True}
    outcome = reaper.run()
    assert not outcome.ok
    assert outcome.report.totals.cancelled == 0


def test_org_assigning_all_members_is_never_cancelled(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """With seat management assign_all, due persons are flagged, then need a person: no cancel."""
    sim.add_org("everyone", seat_management_setting="assign_all")
    seats(sim, clock, idle=1, active=20, org="everyone")
    reaper = Reaper(sim, clock, tmp_path, overrides={"github_orgs": ["everyone"]})
    flag_and_wait(reaper, clock)
    outcome = reaper.run()
    assert reaper.cancel_requests() == []
    assert "cannot be cancelled per user" in str(sim.slack_messages[-1])
    assert outcome.report.totals.needs_person == 1


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, "REAPER_GITHUB_TOKEN"),
        (403, "manage_billing:copilot"),
        (404, "was not found"),
    ],
)
def test_access_errors_name_the_org_and_the_fix(
    reaper: Reaper, sim: Simulator, clock: FakeClock, status: int, expected: str
) -> None:
    """401, 403 and 404 at preflight become one clear line naming the org and what to fix."""
    seats(sim, clock, idle=1)
    sim.inject(Fault(path="^/orgs/acme/copilot/billing$", status=status, body={"message": "no"}))
    outcome = reaper.run()
    assert not outcome.ok
    [error] = outcome.report.orgs[0].errors
    assert "acme" in error
    assert expected in error
    assert reaper.flags() == {}


def test_exhausted_rate_limit_waits_for_the_reset(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """A 403 with x-ratelimit-remaining 0 waits until x-ratelimit-reset, then goes on."""
    seats(sim, clock, idle=1)
    reset = int(clock.now.timestamp()) + 120
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
    sim.inject(
        Fault(path=SEATS, status=403, headers=headers, body={"message": "API rate limit exceeded"})
    )
    assert reaper.run().ok
    assert reaper.waits == [121.0]


def test_secondary_limit_waits_a_minute_and_backs_off(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """A secondary-limit 403 without headers waits at least a minute, then longer."""
    seats(sim, clock, idle=1)
    body = {"message": "You have exceeded a secondary rate limit."}
    sim.inject(Fault(path=SEATS, status=403, body=body, times=2))
    assert reaper.run().ok
    assert reaper.waits == [60.0, 120.0]


def test_every_wait_is_logged_with_reason_and_length(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """Retry waits and rate-limit pauses each log an event naming why and for how long."""
    seats(sim, clock, idle=3, active=30)
    flag_and_wait(reaper, clock)
    sim.inject(Fault(path=SEATS, status=429, headers={"Retry-After": "7"}))
    sim.inject(Fault(path="selected_users$", method="DELETE", status=422, body={"message": "no"}))
    with capture_logs() as events:
        assert reaper.run().ok
    waits = [e for e in events if e["event"] in {"github.retry_scheduled", "github.wait"}]
    assert [(e["event"], e["wait_seconds"]) for e in waits] == [
        ("github.retry_scheduled", 7.0),
        ("github.wait", 1.0),
        ("github.wait", 1.0),
    ]
    assert "rate limited (429)" in waits[0]["reason"]
    assert all(e["reason"] == "spacing mutating requests" for e in waits[1:])


def test_wait_beyond_the_bound_fails_cleanly(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """A Retry-After longer than REAPER_GITHUB_MAX_WAIT_SECONDS fails the org instead of hanging."""
    seats(sim, clock, idle=1)
    reaper.overrides = {"github_max_wait_seconds": 300}
    sim.inject(Fault(path=SEATS, status=429, headers={"Retry-After": "3600"}))
    outcome = reaper.run()
    assert not outcome.ok
    assert reaper.waits == []
    assert "REAPER_GITHUB_MAX_WAIT_SECONDS" in outcome.report.orgs[0].errors[0]


def test_rate_limit_reserve_is_kept(clock: FakeClock, tmp_path: Path) -> None:
    """When the remaining budget reaches the reserve, the reaper pauses until the reset."""
    with Simulator(token=GITHUB_TOKEN, clock=clock, rate_limit=4) as small:
        small.add_org("acme")
        seats(small, clock, idle=1)
        reaper = Reaper(
            small,
            clock,
            tmp_path,
            overrides={
                "github_rate_limit_reserve": 3,
                "github_max_wait_seconds": 3700,
                "cycle_timeout_seconds": 7200,  # the wait must fit in the cycle's deadline too
            },
        )
        reaper.sleep_moves_clock = True
        assert reaper.run().ok
        statuses = [r.path for r in small.requests if r.path.startswith("/orgs/")]
    assert len(reaper.waits) == 1
    assert 0 < reaper.waits[0] <= 3601
    assert len(statuses) == 2  # no request was spent into the reserve or refused


def test_mutating_requests_are_a_second_apart(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """Cancels sent in halves after a refused batch are spaced at least a second apart."""
    seats(sim, clock, idle=3, active=30)
    flag_and_wait(reaper, clock)
    sim.inject(Fault(path="selected_users$", method="DELETE", status=422, body={"message": "no"}))
    assert reaper.run().ok
    assert [len(batch) for batch in reaper.cancel_requests()] == [3, 1, 2]
    assert reaper.waits == [1.0, 1.0]


@pytest.mark.parametrize(
    "fault",
    [
        Fault(path=SEATS, status=200, body="<html>maintenance</html>"),
        Fault(path=SEATS, status=200, body={"total_seats": 1, "seats": "nope"}),
        Fault(
            path=SEATS,
            status=200,
            headers={
                "Link": '<http://203.0.113.9/orgs/acme/copilot/billing/seats?page=2>; rel="next"'
            },
            body={"total_seats": 2, "seats": []},
        ),
    ],
    ids=["not-json", "not-a-list", "foreign-link"],
)
def test_untrustworthy_answers_mean_no_action(
    reaper: Reaper, sim: Simulator, clock: FakeClock, fault: Fault
) -> None:
    """A page that is not JSON, not a seat list, or links to another host: the org does nothing."""
    seats(sim, clock, idle=1)
    sim.inject(fault)
    outcome = reaper.run()
    assert not outcome.ok
    assert reaper.flags() == {}
    assert all(not r.url.startswith("http://203.") for r in sim.requests)


def test_looping_link_is_detected(reaper: Reaper, sim: Simulator, clock: FakeClock) -> None:
    """A next link that points back at a page already read ends the scan as incomplete."""
    seats(sim, clock, idle=1)
    loop = f'<{sim.github_url}/orgs/acme/copilot/billing/seats?per_page=100>; rel="next"'
    sim.inject(
        Fault(
            path=SEATS,
            status=200,
            headers={"Link": loop},
            body={"total_seats": 1, "seats": []},
            times=5,
        )
    )
    outcome = reaper.run()
    assert not outcome.ok
    assert "loops" in outcome.report.orgs[0].errors[0]
