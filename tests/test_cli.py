"""The real command line, run as a subprocess against the simulator."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

from reaper.simulator import Fault
from reaper.store import SqlStore
from tests.conftest import GITHUB_TOKEN, SLACK_BOT_TOKEN
from tests.harness import DAY

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator
    from tests.conftest import FakeClock

REAPER = [sys.executable, "-m", "reaper"]


def env_for(sim: Simulator, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REAPER_")}
    env.update(
        {
            "REAPER_GITHUB_TOKEN": GITHUB_TOKEN,
            "REAPER_GITHUB_API_URL": sim.github_url,
            "REAPER_GITHUB_ORGS": "acme",
            "REAPER_SLACK_WEBHOOK_URL": sim.slack_webhook_url,
            "REAPER_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}",
            "REAPER_SECRETS_DIR": str(tmp_path / "no-secrets"),
            "REAPER_LOG_FORMAT": "json",
            "REAPER_GITHUB_MAX_ATTEMPTS": "1",
        }
    )
    env.update({f"REAPER_{k}": v for k, v in extra.items()})
    return env


def run(
    args: list[str], env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*REAPER, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def seed(sim: Simulator, clock: FakeClock) -> None:
    sim.add_seat("acme", "idle-ian", created_at=clock.now - 400 * DAY, last_activity_at=None)
    sim.add_seat("acme", "busy-bea", created_at=clock.now - 400 * DAY, last_activity_at=clock.now)


def test_once_exits_zero_after_a_complete_cycle(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """`reaper once` runs one cycle, posts the report, and exits 0."""
    seed(sim, clock)
    result = run(["once"], env_for(sim, tmp_path))
    assert result.returncode == 0, result.stderr
    assert len(sim.slack_messages) == 1
    assert "cycle.completed" in result.stdout + result.stderr


def test_dry_run_is_the_default(sim: Simulator, clock: FakeClock, tmp_path: Path) -> None:
    """Without REAPER_DRY_RUN a cycle only reads: the report says DRY RUN, no flag is stored."""
    seed(sim, clock)
    env = env_for(sim, tmp_path)
    assert run(["once"], env).returncode == 0
    assert "DRY RUN" in str(sim.slack_messages)
    assert {r.method for r in sim.requests if r.path.startswith("/orgs/")} == {"GET"}
    store = SqlStore(env["REAPER_STATE_URL"])
    assert store.all_flags() == []
    store.close()


def test_incomplete_scan_exits_non_zero(sim: Simulator, clock: FakeClock, tmp_path: Path) -> None:
    """An org whose seat list cannot be read makes `reaper once` exit 1."""
    seed(sim, clock)
    sim.inject(Fault(path="/copilot/billing/seats$", status=503, times=5))
    result = run(["once"], env_for(sim, tmp_path))
    assert result.returncode == 1
    assert "org.scan_incomplete" in result.stdout + result.stderr


def test_failed_delivery_exits_non_zero(sim: Simulator, clock: FakeClock, tmp_path: Path) -> None:
    """A report Slack refuses makes `reaper once` exit 1, and the report is logged in full."""
    seed(sim, clock)
    sim.inject(Fault(path="^/slack/", status=404, body="no_service", times=10))
    result = run(["once"], env_for(sim, tmp_path))
    assert result.returncode == 1
    assert "report.delivery_failed" in result.stdout + result.stderr
    assert "idle-ian" in result.stdout + result.stderr


def test_invalid_configuration_exits_two_and_names_every_variable(
    sim: Simulator, tmp_path: Path
) -> None:
    """Bad settings: exit 2, every bad variable named, no traceback, nothing sent."""
    env = env_for(sim, tmp_path, INACTIVE_DAYS="lots", GRACE_DAYS="-3")
    del env["REAPER_GITHUB_TOKEN"]
    result = run(["once"], env)
    assert result.returncode == 2
    for name in ("REAPER_GITHUB_TOKEN", "REAPER_INACTIVE_DAYS", "REAPER_GRACE_DAYS"):
        assert name in result.stderr
    assert "Traceback" not in result.stderr
    assert sim.requests == []


def test_no_org_is_a_configuration_error(sim: Simulator, tmp_path: Path) -> None:
    """An empty org list is refused with exit 2."""
    result = run(["once"], env_for(sim, tmp_path, GITHUB_ORGS=" , "))
    assert result.returncode == 2
    assert "REAPER_GITHUB_ORGS" in result.stderr


def test_tokens_never_appear_in_output(sim: Simulator, clock: FakeClock, tmp_path: Path) -> None:
    """At debug level, in a faulty cycle, no token shows in output, reports or audit."""
    seed(sim, clock)
    sim.add_org("locked")
    env = env_for(
        sim,
        tmp_path,
        LOG_LEVEL="DEBUG",
        GITHUB_ORGS="acme,locked,missing",
        SLACK_BOT_TOKEN=SLACK_BOT_TOKEN,
        SLACK_CHANNEL="C1",
        SLACK_API_URL=sim.slack_api_url,
    )
    sim.inject(Fault(path="^/orgs/locked/", status=401, body={"message": "Bad credentials"}))
    sim.inject(Fault(path="chat.postMessage", status=500, times=10))
    result = run(["once"], env)
    assert result.returncode == 1
    captured = result.stdout + result.stderr
    assert "locked (401)" in captured  # the failure is there, described
    store = SqlStore(env["REAPER_STATE_URL"])
    audit = str(store.audit_log())
    store.close()
    webhook_secret = sim.slack_webhook_url.rsplit("/", 1)[1]
    for secret in (GITHUB_TOKEN, SLACK_BOT_TOKEN, webhook_secret):
        assert secret not in captured
        assert secret not in audit
        assert secret not in str(sim.slack_messages)


def test_python_dash_m_and_version(tmp_path: Path) -> None:
    """`python -m reaper --version` prints the version."""
    result = subprocess.run([*REAPER, "--version"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert result.stdout.startswith("reaper 0.")


def test_run_serves_cycles_and_stops_cleanly_on_sigterm(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """`reaper run` runs a cycle on schedule and stops with exit 0 on SIGTERM."""
    seed(sim, clock)
    env = env_for(sim, tmp_path, SCHEDULE="0 0 1 1 *", RUN_ON_START="true")
    with subprocess.Popen(
        [*REAPER, "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        deadline = time.monotonic() + 30
        while not sim.slack_messages and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert sim.slack_messages, "no cycle ran"
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert "service.stopped" in output
    assert '"next_cycle"' in output


@pytest.mark.usefixtures("clean_env")
def test_demo_tells_the_whole_story() -> None:
    """`reaper demo` flags, sees a user come back, cancels the rest, and exits 0."""
    result = subprocess.run(
        [*REAPER, "demo"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.index("Newly flagged") < out.index("Reactivated") < out.index("Cancelled")
    assert "Needs a person" in out
