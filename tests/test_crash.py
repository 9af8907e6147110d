"""Crash safety: SIGKILL a live `reaper once` at many points, restart, check the invariants."""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from reaper.core.domain import Flag
from reaper.store import SqlStore
from tests.test_cli import REAPER, env_for

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import RecordedRequest, Simulator

DAY = timedelta(days=1)
DUE = ["due-dan", "due-dee", "due-dot"]
NEW = ["new-nat", "new-ned"]
# The requests of one live cycle: preflight, one page, the re-read of the list (cheaper than
# three one-seat reads), the cancel, the report.
POINTS = 5


@dataclass
class Killer:
    """Kills the reaper when the simulator sees request number ``at``, before or after it."""

    at: int
    after: bool
    pid: int | None = None
    seen: int = 0
    killed: bool = False
    cancelled_twice: list[str] = field(default_factory=list)

    def attach(self, sim: Simulator) -> None:
        def before(request: RecordedRequest) -> bool:
            if request.method == "DELETE" and request.json:
                for login in request.json["selected_usernames"]:
                    seat = sim.seat("acme", login)
                    if seat and seat.get("pending_cancellation_date"):
                        self.cancelled_twice.append(login)
            self.seen += 1
            if not self.after and self.seen == self.at:
                return self._kill()
            return False

        def after(request: RecordedRequest) -> None:
            if self.after and self.seen == self.at:
                self._kill()

        sim.before_request, sim.after_request = before, after

    def _kill(self) -> bool:
        if self.pid is not None and not self.killed:
            os.kill(self.pid, signal.SIGKILL)
            self.killed = True
        return True


def seed(sim: Simulator, state_url: str) -> datetime:
    now = datetime.now(UTC)
    old = now - 400 * DAY
    store = SqlStore(state_url)
    flags = []
    for login in DUE:
        sim.add_seat("acme", login, created_at=old, last_activity_at=now - 70 * DAY)
        flags.append(
            Flag("acme", login, now - 10 * DAY, now - 70 * DAY, now - 10 * DAY, now - 3 * DAY)
        )
    sim.add_seat("acme", "team-tia", created_at=old, last_activity_at=None, team="platform")
    flags.append(Flag("acme", "team-tia", now - 10 * DAY, old, now - 10 * DAY, now - 3 * DAY))
    sim.add_seat("acme", "back-bo", created_at=old, last_activity_at=now - DAY / 24)
    flags.append(
        Flag("acme", "back-bo", now - 5 * DAY, now - 70 * DAY, now - 5 * DAY, now + 2 * DAY)
    )
    for login in NEW:
        sim.add_seat("acme", login, created_at=old, last_activity_at=now - 50 * DAY)
    sim.add_seat("acme", "busy-bea", created_at=old, last_activity_at=now - DAY)
    store.commit(add=flags)
    store.close()
    return now


@pytest.mark.parametrize("after", [False, True], ids=["before", "after"])
@pytest.mark.parametrize("at", range(1, POINTS + 1))
def test_sigkill_at_any_point_loses_nothing(
    sim: Simulator, tmp_path: Path, at: int, after: bool
) -> None:
    """SIGKILL at any request of a live cycle, restart: no flag lost, no early or double cancel."""
    env = env_for(
        sim,
        tmp_path,
        DRY_RUN="false",
        INACTIVE_DAYS="30",
        GRACE_DAYS="7",
        MAX_CANCELLATION_PERCENT="100",
    )
    state_url = env["REAPER_STATE_URL"]
    seed(sim, state_url)
    killer = Killer(at, after)
    killer.attach(sim)
    with subprocess.Popen(
        [*REAPER, "once"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ) as proc:
        killer.pid = proc.pid
        first = proc.wait(timeout=60)
    assert killer.killed
    assert first == -signal.SIGKILL

    sim.before_request = sim.after_request = None
    restart = subprocess.run(
        [*REAPER, "once"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert restart.returncode == 0, restart.stdout + restart.stderr

    cancelled = {
        login
        for r in sim.requests
        if r.method == "DELETE" and r.json
        for login in r.json["selected_usernames"]
    }
    assert cancelled <= set(DUE), "only seats past their warned grace period are ever cancelled"
    assert killer.cancelled_twice == []
    for login in DUE:
        assert sim.seat("acme", login)["pending_cancellation_date"] is not None
    for login in ["back-bo", "busy-bea", "team-tia", *NEW]:
        assert sim.seat("acme", login)["pending_cancellation_date"] is None

    store = SqlStore(state_url)
    flags = {f.login: f for f in store.all_flags()}
    audit = [(e.event, e.login) for e in store.audit_log()]
    store.close()
    assert set(flags) == {"team-tia", *NEW}
    assert all(flags[login].warned_at is not None for login in NEW), "warnings went out"
    for login in DUE:
        assert ("cancel.requested", login) in audit
        assert ("seat.cancelled", login) in audit or ("flag.dropped", login) in audit
