"""Team removals under store faults: a lost answer (SIGKILL) settled next run, a refused intent."""

from __future__ import annotations

import os
import signal
import subprocess
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from reaper.core.domain import Flag
from reaper.report.text import render_text
from reaper.store import SqlStore
from tests.harness import idle_seat
from tests.test_cli import REAPER, env_for
from tests.test_teams_cycle import MEMBERSHIP, TEAM, reaper_for, removals, team_seat, writes

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import RecordedRequest, Simulator
    from tests.conftest import FakeClock

DAY = timedelta(days=1)
REMOVE = "/orgs/acme/teams/copilot-users/memberships/ann"


def test_a_lost_removal_is_reconciled_without_a_second_request(
    sim: Simulator, tmp_path: Path
) -> None:
    """Killed after GitHub removed ann: the restart records it from the membership, no resend."""
    env = env_for(
        sim,
        tmp_path,
        DRY_RUN="false",
        INACTIVE_DAYS="30",
        GRACE_DAYS="7",
        MAX_CANCELLATION_PERCENT="100",
        RECLAIM_TEAMS="acme/copilot-users",
    )
    now = datetime.now(UTC)
    sim.add_team("copilot-users", org="acme").add_member("ann")
    sim.add_seat(
        "acme",
        "ann",
        team="copilot-users",
        created_at=now - 400 * DAY,
        last_activity_at=now - 70 * DAY,
    )
    store = SqlStore(env["REAPER_STATE_URL"])
    store.commit(
        add=[Flag("acme", "ann", now - 10 * DAY, now - 70 * DAY, now - 10 * DAY, now - 3 * DAY)]
    )
    store.close()
    killed: list[int] = []

    def after(request: RecordedRequest) -> None:
        if request.method == "DELETE" and request.path == REMOVE and not killed:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    sim.after_request = after
    with subprocess.Popen(
        [*REAPER, "once"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ) as proc:
        pid = proc.pid
        assert proc.wait(timeout=60) == -signal.SIGKILL
    sim.after_request = None
    store = SqlStore(env["REAPER_STATE_URL"])
    assert store.teams.removals() == [("acme/copilot-users", "ann", None)]  # the open intent
    store.close()

    restart = subprocess.run(
        [*REAPER, "once"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert restart.returncode == 0, restart.stdout + restart.stderr
    deletes = [r for r in sim.requests if r.method == "DELETE" and r.path == REMOVE]
    assert len(deletes) == 1
    store = SqlStore(env["REAPER_STATE_URL"])
    rows = store.teams.removals()
    audit = [(e.event, e.login) for e in store.audit_log()]
    store.close()
    assert rows == [("acme/copilot-users", "ann", "removed")]
    assert ("team.member_removed", "ann") in audit
    assert sim.seat("acme", "ann")["pending_cancellation_date"] is not None


def test_a_removal_whose_intent_cannot_be_stored_is_never_sent(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """The store refuses the intent row: no DELETE, the flag kept, the report says why."""
    sim.add_team("copilot-users", org="acme").add_member("ann")
    team_seat(sim, clock, "ann")
    reaper = reaper_for(sim, clock, tmp_path)
    assert reaper.run().report.totals.newly_flagged == 1
    clock.advance(days=8)
    engine = sa.create_engine(reaper.state_url)
    refuse = (
        "CREATE TRIGGER refuse_intents BEFORE INSERT ON team_removals "
        "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
    )
    with engine.begin() as conn:
        conn.execute(sa.text(refuse))
    outcome = reaper.run()
    assert writes(sim) == []
    assert not outcome.ok
    assert "team removal intents could not be stored" in render_text(outcome.report)
    assert ("acme", "ann") in reaper.flags()
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TRIGGER refuse_intents"))
    engine.dispose()
    assert reaper.run().ok
    assert writes(sim) == [("DELETE", MEMBERSHIP + "ann")]
    assert removals(reaper) == [(TEAM, "ann", "removed")]


def test_cancel_intents_the_store_refuses_leave_no_team_intent_open(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """Team and cancel intents are one write: refused, nothing is sent and no row stays open."""
    sim.add_team("copilot-users", org="acme").add_member("ann")
    team_seat(sim, clock, "ann")
    idle_seat(sim, clock, "bob")  # a direct grant: a cancel intent
    reaper = reaper_for(sim, clock, tmp_path)
    assert reaper.run().report.totals.newly_flagged == 2
    clock.advance(days=8)
    engine = sa.create_engine(reaper.state_url)
    refuse = (
        "CREATE TRIGGER refuse_intents BEFORE INSERT ON cancel_intents "
        "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
    )
    with engine.begin() as conn:
        conn.execute(sa.text(refuse))
    outcome = reaper.run()
    assert writes(sim) == []
    assert removals(reaper) == []  # no team intent left for the next run to "settle"
    assert "cancel and team removal intents could not be stored" in render_text(outcome.report)
    assert {("acme", "ann"), ("acme", "bob")} <= set(reaper.flags())
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TRIGGER refuse_intents"))
    engine.dispose()
    assert reaper.run().ok
    assert removals(reaper) == [(TEAM, "ann", "removed")]
    assert reaper.cancel_requests() == [["bob"]]
