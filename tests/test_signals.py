"""SIGTERM at any moment ends the real CLI cleanly: a log line, a documented code, no traceback."""

from __future__ import annotations

import signal
import subprocess
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest

from tests.deploy.test_service_http import NEVER, free_port, get, seed, wait_for
from tests.test_cli import REAPER, env_for

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from reaper.simulator import RecordedRequest, Simulator

SIGTERM_CODE = 128 + signal.SIGTERM


class Hold:
    """A simulator hook that keeps the first request matching ``wanted`` until released."""

    def __init__(self, wanted: Callable[[RecordedRequest], bool]) -> None:
        self._wanted = wanted
        self.arrived = threading.Event()
        self.release = threading.Event()

    def __call__(self, request: RecordedRequest) -> bool:
        if self._wanted(request) and not self.arrived.is_set():
            self.arrived.set()
            self.release.wait(timeout=60)  # bounded: the server thread never hangs for good
        return False  # then answer normally


@pytest.fixture
def hold_seats(sim: Simulator) -> Iterator[Hold]:
    """Hold the first seat-list request until the test releases it."""
    hold = Hold(lambda request: request.path.endswith("/copilot/billing/seats"))
    sim.before_request = hold
    yield hold
    hold.release.set()


def spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*REAPER, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    """Wait for the process to end by itself (bounded); a process that will not is killed."""
    try:
        output, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
        raise AssertionError(f"the reaper did not stop:\n{output[-3000:]}") from None
    return proc.returncode, output


@contextmanager
def reaper_run(env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """`reaper run` as a subprocess, stopped with SIGTERM (then killed) if still running."""
    proc = spawn(["run"], env)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            finish(proc)


@pytest.mark.parametrize("command", ["once", "run", "check"])
def test_sigterm_during_start_up_exits_cleanly(
    sim: Simulator, tmp_path: Path, command: str
) -> None:
    """SIGTERM right after spawn, during imports and start-up, never prints a traceback."""
    env = env_for(sim, tmp_path, SCHEDULE=NEVER, HTTP_PORT=str(free_port()))
    proc = spawn([command], env)
    proc.send_signal(signal.SIGTERM)
    code, output = finish(proc)
    # Before the handler is installed (the first few milliseconds) the kernel ends the process.
    assert code in {-signal.SIGTERM, SIGTERM_CODE if command != "run" else 0}, output
    assert "Traceback" not in output


def test_sigterm_during_a_cycle_stops_once_with_143(
    sim: Simulator, tmp_path: Path, hold_seats: Hold
) -> None:
    """`reaper once` stopped while GitHub holds a request logs reaper.stopped and exits 143."""
    seed(sim)
    proc = spawn(["once"], env_for(sim, tmp_path, DRY_RUN="false"))
    assert hold_seats.arrived.wait(timeout=30), "the cycle never asked for the seat list"
    proc.send_signal(signal.SIGTERM)
    code, output = finish(proc)
    assert code == SIGTERM_CODE, output
    assert '"reaper.stopped"' in output
    assert '"SIGTERM"' in output
    assert "Traceback" not in output
    assert sim.slack_messages == []  # it stopped where it was, it did not go on to report


def test_sigint_stops_once_with_130(sim: Simulator, tmp_path: Path, hold_seats: Hold) -> None:
    """Ctrl-C (SIGINT) during a cycle exits 130 with the same clean stop, no KeyboardInterrupt."""
    seed(sim)
    proc = spawn(["once"], env_for(sim, tmp_path))
    assert hold_seats.arrived.wait(timeout=30)
    proc.send_signal(signal.SIGINT)
    code, output = finish(proc)
    assert code == 128 + signal.SIGINT, output
    assert "KeyboardInterrupt" not in output
    assert "Traceback" not in output


def test_sigterm_before_the_scheduler_starts_stops_run(sim: Simulator, tmp_path: Path) -> None:
    """`reaper run` stopped during its preflight, before the scheduler started, exits 0."""
    hold = Hold(lambda request: request.path.startswith("/orgs/"))
    sim.before_request = hold
    env = env_for(sim, tmp_path, SCHEDULE=NEVER, HTTP_PORT=str(free_port()))
    try:
        proc = spawn(["run"], env)
        assert hold.arrived.wait(timeout=30), "the service never ran its preflight"
        proc.send_signal(signal.SIGTERM)
        code, output = finish(proc)
    finally:
        hold.release.set()
    assert code == 0, output
    assert '"service.stopping"' in output
    assert '"service.stopped"' in output
    assert "Traceback" not in output


def test_sigterm_during_a_cycle_lets_run_finish_it(
    sim: Simulator, tmp_path: Path, hold_seats: Hold
) -> None:
    """`reaper run` stopped mid-cycle finishes that cycle, then exits 0."""
    seed(sim)
    port = free_port()
    env = env_for(sim, tmp_path, SCHEDULE=NEVER, RUN_ON_START="true", HTTP_PORT=str(port))
    with reaper_run(env) as proc:
        assert hold_seats.arrived.wait(timeout=30), "no cycle started"
        proc.send_signal(signal.SIGTERM)
        wait_for(lambda: get(port, "/healthz")[0] == 503, proc, "the scheduler to stop")
        assert sim.slack_messages == []
        hold_seats.release.set()
        code, output = finish(proc)
    assert code == 0, output
    assert len(sim.slack_messages) == 1  # the cycle that was running reported
    assert output.index('"service.stopping"') < output.index('"cycle.completed"')
    assert "Traceback" not in output


def test_healthz_fails_while_a_cycle_overruns(sim: Simulator, tmp_path: Path) -> None:
    """/healthz answers 503 naming the timeout while a cycle outlives it, and 200 once it ends."""
    seed(sim)
    hold = Hold(lambda request: request.path.startswith("/slack/"))
    sim.before_request = hold
    port = free_port()
    env = env_for(
        sim,
        tmp_path,
        SCHEDULE=NEVER,
        RUN_ON_START="true",
        HTTP_PORT=str(port),
        CYCLE_TIMEOUT_SECONDS="1",
    )
    try:
        with reaper_run(env) as proc:
            assert hold.arrived.wait(timeout=30), "the cycle never reached Slack"
            wait_for(lambda: get(port, "/healthz")[0] == 503, proc, "/healthz to fail")
            status, reason = get(port, "/healthz")
            hold.release.set()
            wait_for(lambda: get(port, "/healthz")[0] == 200, proc, "/healthz to recover")
            assert len(sim.slack_messages) == 1
            proc.send_signal(signal.SIGTERM)
            code, output = finish(proc)
    finally:
        hold.release.set()
    assert status == 503
    assert "REAPER_CYCLE_TIMEOUT_SECONDS=1" in reason
    assert code == 0
    assert '"cycle.overrunning"' in output
    assert "Traceback" not in output


def test_healthz_is_healthy_while_a_cycle_is_within_its_time(
    sim: Simulator, tmp_path: Path, hold_seats: Hold
) -> None:
    """A cycle still inside REAPER_CYCLE_TIMEOUT_SECONDS leaves /healthz at 200."""
    seed(sim)
    port = free_port()
    env = env_for(sim, tmp_path, SCHEDULE=NEVER, RUN_ON_START="true", HTTP_PORT=str(port))
    with reaper_run(env):
        assert hold_seats.arrived.wait(timeout=30)
        assert get(port, "/healthz") == (200, "ok\n")  # the default timeout is an hour
        hold_seats.release.set()
