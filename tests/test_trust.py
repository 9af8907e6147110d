"""Every cancel is accounted for, and a flag is only forgotten for a reason that was checked."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from structlog.testing import capture_logs

from reaper.simulator import Fault
from reaper.store import SqlStore
from tests.harness import DAY, Reaper, idle_seat
from tests.postgres import postgres_url_fixture  # noqa: F401  (fixture)

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import RecordedRequest, Simulator
    from tests.conftest import FakeClock

SEATS = "^/orgs/acme/copilot/billing/seats$"
CANCEL = "^/orgs/acme/copilot/billing/selected_users$"
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def reaper(sim: Simulator, clock: FakeClock, tmp_path: Path) -> Reaper:
    """A live reaper (inactive after 30 days, 7 days' grace) on the simulator."""
    return Reaper(sim, clock, tmp_path)


def due(reaper: Reaper, clock: FakeClock, *logins: str, busy: int = 0) -> None:
    """Idle seats flagged and warned by one cycle, then past their grace period."""
    for login in logins:
        idle_seat(reaper.sim, clock, login)
    for n in range(busy):
        reaper.sim.add_seat(
            "acme", f"busy{n:03d}", created_at=clock.now - 400 * DAY, last_activity_at=clock.now
        )
    assert reaper.run().ok
    assert {login for _, login in reaper.flags()} == set(logins)
    clock.advance(days=8)


def pending(sim: Simulator, login: str) -> bool:
    seat = sim.seat("acme", login)
    return seat is not None and seat["pending_cancellation_date"] is not None


def texts(sim: Simulator) -> str:
    return " ".join(str(message) for message in sim.slack_messages)


# -- every cancel is accounted for -------------------------------------------------------------


@pytest.mark.postgres
def test_a_store_failure_right_after_the_cancel_loses_no_trace(
    reaper: Reaper, sim: Simulator, clock: FakeClock, postgres_url: str
) -> None:
    """The store dies as GitHub accepts a cancel: logged, reported, and recorded next cycle."""
    name = postgres_url.rsplit("/", 1)[1]
    admin = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    reaper.overrides = {"state_url": postgres_url}
    due(reaper, clock, "due-dan", "due-dee")

    def store_dies(request: RecordedRequest) -> None:
        if request.method == "DELETE":
            with admin.connect() as conn:
                conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )

    sim.after_request = store_dies
    try:
        with capture_logs() as logs:
            outcome = reaper.run()
    finally:
        sim.after_request = None
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()
    assert not outcome.ok
    assert pending(sim, "due-dan")
    assert pending(sim, "due-dee")
    accepted = {e["login"] for e in logs if e["event"] == "seat.cancel_accepted"}
    assert accepted == {"due-dan", "due-dee"}, "each user is logged before anything can fail"
    report = str(sim.slack_messages[-1])
    assert "due-dan" in report
    assert "due-dee" in report
    assert "state store failed" in report

    assert reaper.run().ok
    assert len(reaper.cancel_requests()) == 1, "nothing is cancelled twice"
    store = SqlStore(postgres_url)
    try:
        audit = [(e.event, e.login, e.reason) for e in store.audit_log()]
        assert store.all_flags() == []
        assert store.unresolved_intents() == []
    finally:
        store.close()
    confirmed = {login for event, login, reason in audit if event == "seat.cancelled"}
    assert confirmed == {"due-dan", "due-dee"}
    assert all("confirmed on re-read" in r for e, _, r in audit if e == "seat.cancelled")
    assert "due-dan" in str(sim.slack_messages[-1]), "the next report lists what was learnt"


def test_a_cancel_answered_with_a_lower_count_records_only_what_changed(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """`seats_cancelled` below the ask: re-read, record only real cancels, keep the rest."""
    due(reaper, clock, "due-dan", "due-dee")

    def github_cancels_only_dan(request: RecordedRequest) -> bool:
        if request.method == "DELETE":
            sim.remove_seat("acme", "due-dan")
        return False

    sim.before_request = github_cancels_only_dan
    sim.inject(Fault(method="DELETE", path=CANCEL, status=200, body={"seats_cancelled": 1}))
    outcome = reaper.run()
    sim.before_request = None
    assert not outcome.ok, "a short count fails the cycle"
    assert set(reaper.flags()) == {("acme", "due-dee")}
    audit = reaper.audit()
    assert ("seat.cancelled", "due-dan") in audit
    assert ("seat.cancelled", "due-dee") not in audit
    assert ("cancel.not_applied", "due-dee") in audit
    assert "due-dee" in str(sim.slack_messages[-1])


def test_a_cancel_answered_zero_is_not_recorded_as_done(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """`200 {"seats_cancelled": 0}`: nothing is recorded cancelled; the next cycle tries again."""
    due(reaper, clock, "due-dan")
    sim.inject(Fault(method="DELETE", path=CANCEL, status=200, body={"seats_cancelled": 0}))
    assert not reaper.run().ok
    assert set(reaper.flags()) == {("acme", "due-dan")}
    assert ("seat.cancelled", "due-dan") not in reaper.audit()
    assert reaper.run().ok
    assert pending(sim, "due-dan")
    assert ("seat.cancelled", "due-dan") in reaper.audit()


def test_a_store_that_is_down_still_gets_the_failure_reported(
    reaper: Reaper, sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A state store that cannot be opened: nothing is done, and Slack is told why."""
    idle_seat(sim, clock, "idle-ian")
    (tmp_path / "not-a-folder").write_text("a file where the database folder should be")
    reaper.overrides = {"state_url": f"sqlite:///{tmp_path / 'not-a-folder' / 'state.db'}"}
    outcome = reaper.run()
    assert not outcome.ok
    assert outcome.error is not None
    assert "state store" in texts(sim)
    assert reaper.cancel_requests() == []


# -- a flag is only forgotten for a checked reason ---------------------------------------------


def test_an_empty_list_does_not_forget_warned_flags(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """A well-formed empty list: the flagged users are re-read, found, and keep their dates."""
    due(reaper, clock, "due-dan", "due-dee")
    before = reaper.flags()
    sim.inject(Fault(method="GET", path=SEATS, status=200, body={"total_seats": 0, "seats": []}))
    assert not reaper.run().ok
    assert reaper.flags() == before, "flags and their due dates are kept"
    assert reaper.cancel_requests() == []
    assert "missing from the seat list" in str(sim.slack_messages[-1])
    assert reaper.run().ok
    assert len(reaper.cancel_requests()) == 1, "cancelled on the promised date, not re-warned"


def test_a_flagged_user_really_gone_is_forgotten_after_a_check(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """A flagged user missing from a complete list and answered 404 on re-read is forgotten."""
    due(reaper, clock, "gone-gus", "due-dan")
    sim.remove_seat("acme", "gone-gus")
    assert reaper.run().ok
    assert ("flag.dropped", "gone-gus") in reaper.audit()
    assert any(r.path == "/orgs/acme/members/gone-gus/copilot" for r in sim.requests)


def test_a_list_that_shrank_past_the_limit_is_held(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """A list that lost more seats than REAPER_MAX_FORGET_PERCENT since the last scan is held."""
    logins = [f"due{n:02d}" for n in range(6)]
    due(reaper, clock, *logins, busy=14)
    first_page = {"total_seats": 0, "seats": []}
    sim.inject(Fault(method="GET", path=SEATS, status=200, body=first_page))
    sim.reset_records()
    outcome = reaper.run()
    assert not outcome.ok
    assert len(reaper.flags()) == 6
    assert not any("/members/" in r.path for r in sim.requests), "held before any re-read"
    report = str(sim.slack_messages[-1])
    assert "REAPER_MAX_FORGET_PERCENT=20" in report
    assert "shrank from 20 to 0" in report
    assert ("scan.incomplete", None) in reaper.audit()
    reaper.overrides = {"max_forget_percent": 100}
    assert reaper.run().ok


def test_a_list_that_changes_while_read_is_read_again(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """Someone gets a seat mid-scan: the list is read again after a logged wait, and used."""
    for n in range(150):
        idle_seat(sim, clock, f"user{n:03d}", days=1)
    added: list[str] = []

    def assign_once(request: RecordedRequest) -> None:
        if request.path.endswith("/seats") and "page" not in request.query and not added:
            added.append("late-lee")
            sim.add_seat("acme", "late-lee")

    sim.after_request = assign_once
    with capture_logs() as logs:
        outcome = reaper.run()
    sim.after_request = None
    assert outcome.ok, outcome.report
    assert 2.0 in reaper.waits
    assert [e["attempt"] for e in logs if e["event"] == "org.rescan_scheduled"] == [2]


def test_a_list_that_never_settles_leaves_the_org_incomplete(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """A list that changes on every read is read three times, then nothing is done."""
    due(reaper, clock, "due-dan", busy=150)
    count = iter(range(1000))

    def assign_always(request: RecordedRequest) -> None:
        if request.path.endswith("/seats") and "page" not in request.query:
            sim.add_seat("acme", f"new{next(count):03d}")

    sim.after_request = assign_always
    outcome = reaper.run()
    sim.after_request = None
    assert not outcome.ok
    assert reaper.waits[-2:] == [2.0, 5.0]
    assert reaper.cancel_requests() == []
    assert "changed while it was read" in str(sim.slack_messages[-1])


def test_dry_run_events_say_so(sim: Simulator, clock: FakeClock, tmp_path: Path) -> None:
    """In a dry run every event carries dry_run=true and flags log as `seat.would_flag`."""
    reaper = Reaper(sim, clock, tmp_path, overrides={"dry_run": True})
    idle_seat(sim, clock, "idle-ian")
    with capture_logs(processors=[_merge_context]) as events:
        assert reaper.run().ok
    names = [e["event"] for e in events]
    assert "seat.would_flag" in names
    assert "seat.flagged" not in names
    assert all(e.get("dry_run") is True for e in events if e["event"].startswith("seat."))


def _merge_context(logger: Any, method: str, event: Any) -> Any:
    from structlog.contextvars import merge_contextvars  # noqa: PLC0415

    return merge_contextvars(logger, method, event)


def test_a_cycle_past_its_deadline_cancels_nothing_and_says_so(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """A seat list slower than REAPER_CYCLE_TIMEOUT_SECONDS: no cancel, flags kept, reported."""
    due(reaper, clock, "due-dan")
    reaper.overrides = {"cycle_timeout_seconds": 1}

    def slow_list(request: RecordedRequest) -> bool:
        if request.path.endswith("/seats"):
            time.sleep(1.2)  # GitHub answering slowly, not the test waiting for something
        return False

    sim.before_request = slow_list
    outcome = reaper.run()
    sim.before_request = None
    assert not outcome.ok
    assert reaper.cancel_requests() == []
    assert set(reaper.flags()) == {("acme", "due-dan")}
    assert "REAPER_CYCLE_TIMEOUT_SECONDS" in str(sim.slack_messages[-1])
