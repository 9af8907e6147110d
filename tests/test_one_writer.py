"""One writer: two reapers on the same state never run cycles at once."""

from __future__ import annotations

import subprocess
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from reaper.metrics import Metrics
from reaper.service.scheduler import run_one_cycle
from reaper.store import SqlStore
from tests.harness import DAY, Reaper, idle_seat
from tests.test_cli import REAPER, env_for, run

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import RecordedRequest, Simulator
    from tests.conftest import FakeClock

LIVE = {"DRY_RUN": "false", "INACTIVE_DAYS": "30", "GRACE_DAYS": "0"}


def github_requests(sim: Simulator) -> list[RecordedRequest]:
    return [r for r in sim.requests if not r.path.startswith("/slack/")]


def test_once_skips_while_another_reaper_holds_the_lock(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """`reaper once` exits 3 with `cycle.skipped` and asks GitHub nothing while the lock is held."""
    idle_seat(sim, clock, "idle-ian")
    env = env_for(sim, tmp_path, **LIVE)
    store = SqlStore(env["REAPER_STATE_URL"])
    try:
        with store.lock("other-host:42") as held:
            assert held
            result = run(["once"], env)
    finally:
        store.close()
    assert result.returncode == 3, result.stdout + result.stderr
    assert "cycle.skipped" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert github_requests(sim) == []
    assert sim.slack_messages == []


def test_two_overlapping_runs_cancel_audit_and_report_once(sim: Simulator, tmp_path: Path) -> None:
    """Two `reaper once` at the same time: one runs, the other skips; one cancel, one report."""
    env = env_for(sim, tmp_path, **LIVE, MAX_CANCELLATION_PERCENT="100")
    real_now = datetime.now(UTC)
    for login in ("due-dan", "due-dee"):
        sim.add_seat(
            "acme", login, created_at=real_now - 400 * DAY, last_activity_at=real_now - 90 * DAY
        )
    assert run(["once"], env).returncode == 0, "the first run flags and warns (0 days' grace)"
    second: list[subprocess.Popen[str]] = []
    released = threading.Event()

    def hold_first_until_second_is_done(request: RecordedRequest) -> bool:
        if request.path.endswith("/copilot/billing") and not released.is_set():
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (second and second[0].poll() is not None):
                time.sleep(0.05)
            released.set()
        return False

    sim.reset_records()
    sim.before_request = hold_first_until_second_is_done
    with subprocess.Popen(
        [*REAPER, "once"], env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as first:
        while not sim.requests:  # the first holds the lock once it asks GitHub anything
            time.sleep(0.05)
        with subprocess.Popen(
            [*REAPER, "once"], env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        ) as other:
            second.append(other)
            out_second, err_second = other.communicate(timeout=60)
        out_first, err_first = first.communicate(timeout=60)
    sim.before_request = None
    assert other.returncode == 3, out_second + err_second
    assert first.returncode == 0, out_first + err_first
    deletes = [r.json["selected_usernames"] for r in sim.requests if r.method == "DELETE"]
    assert sorted(login for batch in deletes for login in batch) == ["due-dan", "due-dee"]
    assert len(sim.slack_messages) == 1
    store = SqlStore(env["REAPER_STATE_URL"])
    try:
        cancelled = [e.login for e in store.audit_log() if e.event == "seat.cancelled"]
    finally:
        store.close()
    assert sorted(cancelled) == ["due-dan", "due-dee"]


def test_a_skipped_slot_is_counted_in_the_metrics(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A service cycle that finds the lock taken counts as `skipped` and changes nothing else."""
    reaper = Reaper(sim, clock, tmp_path)
    idle_seat(sim, clock, "idle-ian")
    metrics = Metrics(dry_run=False)
    store = SqlStore(reaper.state_url)
    try:
        with store.lock("other-host:42"):
            run_one_cycle(reaper.settings(), metrics)
    finally:
        store.close()
    text = metrics.render().decode()
    assert 'reaper_cycles_total{outcome="skipped"} 1.0' in text
    assert 'reaper_last_cycle_outcome{outcome="none"} 1.0' in text
    assert github_requests(sim) == []
