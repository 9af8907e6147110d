"""``reaper run`` with an app token, as a subprocess: buttons answered, the link lost and back."""

from __future__ import annotations

import signal
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from tests.conftest import SLACK_BOT_TOKEN
from tests.deploy.test_service_http import NEVER, free_port, get, metric, reaper_run, wait_for
from tests.test_cli import env_for

from .clicking import IAN, dm_to, find_button, labels

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator


def socket_events(port: int, event: str) -> float:
    text = get(port, "/metrics")[1]
    return metric(text, "reaper_slack_socket_events_total", event=event) or 0.0


def test_run_answers_buttons_and_its_lost_link_comes_back(sim: Simulator, tmp_path: Path) -> None:
    """Cycles run whatever the link does, a click is answered, the link comes back, SIGTERM ends."""
    now = datetime.now(UTC)  # `reaper run` reads the real clock
    sim.add_seat("acme", "idle-ian", created_at=now - timedelta(days=400), last_activity_at=None)
    user_map = tmp_path / "users.csv"
    user_map.write_text("login,email\nidle-ian,ian@example.com\n")
    sim.slack_users_by_email = {"ian@example.com": IAN}
    sim.refuse_socket_connections(1)  # Slack refuses the first connection: cycles do not care
    port = free_port()
    env = env_for(
        sim,
        tmp_path,
        SCHEDULE=NEVER,
        RUN_ON_START="true",
        HTTP_PORT=str(port),
        DRY_RUN="false",
        INACTIVE_DAYS="30",
        SLACK_BOT_TOKEN=SLACK_BOT_TOKEN,
        SLACK_CHANNEL="#copilot-admins",
        SLACK_API_URL=sim.slack_api_url,
        SLACK_APP_TOKEN=sim.slack_app_token,
        SLACK_DM="true",
        USER_MAP_FILE=str(user_map),
    )
    del env["REAPER_SLACK_WEBHOOK_URL"]
    with reaper_run(env) as proc:
        wait_for(
            lambda: metric(get(port, "/metrics")[1], "reaper_cycles_total", outcome="ok") == 1,
            proc,
            "a cycle",
        )
        wait_for(lambda: socket_events(port, "connected") == 1, proc, "the Socket Mode link")
        warning = dm_to(sim, IAN)
        assert labels(warning) == ["I still need it", "Release it now"]
        block_id, keep = find_button(warning, "I still need it")
        ack = sim.click(
            action_id=keep["action_id"],
            value=keep["value"],
            user_id=IAN,
            channel=warning["channel"],
            message_ts=warning["ts"],
            block_id=block_id,
        )
        assert ack["envelope_id"]
        assert sim.wait_for(lambda: bool(sim.slack_updates), timeout=20)
        sim.drop_socket_connections()
        wait_for(lambda: socket_events(port, "lost") == 1, proc, "the lost link to be seen")
        wait_for(lambda: socket_events(port, "connected") == 2, proc, "the link to come back")
        assert get(port, "/healthz") == (200, "ok\n")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        output = proc.stdout.read() if proc.stdout else ""
    assert sim.socket_handshakes.count(503) == 1
    assert "You keep your seat" in str(sim.slack_updates)
    for event in ("slack.socket_connected", "slack.socket_lost", "slack.action", "seat.kept"):
        assert f'"{event}"' in output
    assert '"slack.socket_closed"' in output
    assert sim.slack_app_token not in output
    assert SLACK_BOT_TOKEN not in output
