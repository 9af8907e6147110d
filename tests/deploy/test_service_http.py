"""``reaper run`` as a subprocess: /healthz, /readyz and /metrics against the simulator."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from reaper.simulator import Fault
from tests.conftest import GITHUB_TOKEN, SLACK_BOT_TOKEN
from tests.test_cli import REAPER, env_for

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from reaper.simulator import Simulator

NEVER = "0 0 1 1 *"  # no scheduled slot during a test: only the run-on-start cycle


def seed(sim: Simulator) -> None:
    """One idle and one active seat, by the real clock: `reaper run` reads the real time."""
    now = datetime.now(UTC)
    sim.add_seat("acme", "idle-ian", created_at=now - timedelta(days=400), last_activity_at=None)
    sim.add_seat("acme", "busy-bea", created_at=now - timedelta(days=400), last_activity_at=now)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def wait_for(check: Callable[[], bool], proc: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"reaper run exited ({proc.returncode}) before {what}")
        try:
            if check():
                return
        except OSError:
            pass  # not listening yet
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus text, or None when it is absent."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if wanted else "")
    match = re.search(rf"^{pattern} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else None


@contextmanager
def reaper_run(env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    with subprocess.Popen(
        [*REAPER, "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=30)


def cycles(port: int, outcome: str) -> float:
    return metric(get(port, "/metrics")[1], "reaper_cycles_total", outcome=outcome) or 0.0


def test_run_serves_health_and_seat_metrics_after_a_cycle(sim: Simulator, tmp_path: Path) -> None:
    """After a cycle, /healthz and /readyz answer 200 and /metrics shows the seats by status."""
    seed(sim)
    port = free_port()
    env = env_for(sim, tmp_path, SCHEDULE=NEVER, RUN_ON_START="true", HTTP_PORT=str(port))
    with reaper_run(env) as proc:
        wait_for(lambda: cycles(port, "ok") == 1, proc, "a successful cycle")
        assert get(port, "/healthz") == (200, "ok\n")
        assert get(port, "/readyz") == (200, "ok\n")
        status, text = get(port, "/metrics")
        assert get(port, "/nowhere")[0] == 404
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    assert status == 200
    assert metric(text, "reaper_seats", org="acme", status="active") == 1
    assert metric(text, "reaper_seats", org="acme", status="inactive") == 1
    assert metric(text, "reaper_seats", org="acme", status="flagged") == 1
    assert metric(text, "reaper_flags_total", org="acme", dry_run="true") == 1
    assert metric(text, "reaper_last_cycle_outcome", outcome="ok") == 1
    assert (metric(text, "reaper_last_success_timestamp_seconds") or 0) > 0
    assert (metric(text, "reaper_github_requests_total", status="200") or 0) >= 1
    assert metric(text, "reaper_slack_deliveries_total", outcome="delivered") == 1
    assert metric(text, "reaper_dry_run") == 1
    assert metric(text, "reaper_cycle_duration_seconds_count") == 1


def test_a_failed_cycle_shows_in_the_metrics(sim: Simulator, tmp_path: Path) -> None:
    """A seat list GitHub will not serve makes the cycle `failed` in /metrics; no token shows."""
    seed(sim)
    sim.inject(Fault(path=r"/copilot/billing/seats$", status=503, times=50))
    port = free_port()
    env = env_for(
        sim,
        tmp_path,
        SCHEDULE=NEVER,
        RUN_ON_START="true",
        HTTP_PORT=str(port),
        SLACK_BOT_TOKEN=SLACK_BOT_TOKEN,
        SLACK_CHANNEL="C1",
        SLACK_API_URL=sim.slack_api_url,
    )
    with reaper_run(env) as proc:
        wait_for(lambda: cycles(port, "failed") == 1, proc, "a failed cycle")
        text = get(port, "/metrics")[1]
        assert get(port, "/healthz")[0] == 200  # the service lives on to the next slot
    assert metric(text, "reaper_last_cycle_outcome", outcome="failed") == 1
    assert metric(text, "reaper_last_cycle_outcome", outcome="ok") == 0
    assert metric(text, "reaper_cycles_total", outcome="ok") == 0
    assert metric(text, "reaper_org_last_cycle_ok", org="acme") == 0
    assert metric(text, "reaper_github_requests_total", status="503") == 1
    assert metric(text, "reaper_last_success_timestamp_seconds") == 0
    assert metric(text, "reaper_seats", org="acme", status="active") is None
    assert GITHUB_TOKEN not in text
    assert SLACK_BOT_TOKEN not in text


def test_readyz_fails_when_the_state_store_is_unreachable(sim: Simulator, tmp_path: Path) -> None:
    """With no database to reach, /readyz answers 503, /healthz 200, and the cycle is `error`."""
    seed(sim)
    port = free_port()
    env = env_for(
        sim,
        tmp_path,
        SCHEDULE=NEVER,
        RUN_ON_START="true",
        HTTP_PORT=str(port),
        STATE_URL=f"postgresql://reaper@127.0.0.1:{free_port()}/nothing",
    )
    with reaper_run(env) as proc:
        wait_for(lambda: cycles(port, "error") == 1, proc, "a cycle that raised")
        status, body = get(port, "/readyz")
        assert get(port, "/healthz")[0] == 200
        text = get(port, "/metrics")[1]
    assert status == 503
    assert "state store not reachable" in body
    assert metric(text, "reaper_last_cycle_outcome", outcome="error") == 1


def test_run_exits_one_when_its_port_is_taken(sim: Simulator, tmp_path: Path) -> None:
    """`reaper run` stops with exit 1 and says so when REAPER_HTTP_PORT cannot be bound."""
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))  # noqa: S104  (the address the service binds)
        taken.listen()
        env = env_for(sim, tmp_path, SCHEDULE=NEVER, HTTP_PORT=str(taken.getsockname()[1]))
        result = subprocess.run(
            [*REAPER, "run"], env=env, capture_output=True, text=True, timeout=60, check=False
        )
    assert result.returncode == 1
    assert "service.http_port_unavailable" in result.stderr + result.stdout
