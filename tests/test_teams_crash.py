"""A team removal whose answer is lost (SIGKILL right after it) is settled by the next run."""

from __future__ import annotations

import os
import signal
import subprocess
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from reaper.core.domain import Flag
from reaper.store import SqlStore
from tests.test_cli import REAPER, env_for

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import RecordedRequest, Simulator

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
