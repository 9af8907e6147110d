"""The Socket Mode link: it comes back after Slack drops or refuses it, and cycles never wait."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from structlog.testing import capture_logs

from reaper.simulator import Fault
from tests.harness import idle_seat

from .clicking import IAN, answering_reaper, dm_to, listen

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator
    from tests.conftest import FakeClock
    from tests.harness import Reaper


@pytest.fixture
def reaper(sim: Simulator, clock: FakeClock, tmp_path: Path) -> Reaper:
    """A live reaper answering in Slack, with idle-ian idle for 45 days."""
    idle_seat(sim, clock, "idle-ian")
    return answering_reaper(sim, clock, tmp_path)


def events(logs: list[dict[str, object]], name: str) -> int:
    return sum(1 for event in logs if event["event"] == name)


def test_losing_the_link_never_stops_a_cycle_and_it_comes_back(
    sim: Simulator, reaper: Reaper, clock: FakeClock
) -> None:
    """Dropped, then refused new URLs, the link is logged lost, a cycle runs, and it comes back."""
    slack = listen(sim, reaper, clock)
    try:
        with capture_logs() as logs:
            sim.inject(Fault(path=r"/apps\.connections\.open$", status=503, times=4))
            assert sim.drop_socket_connections() == 1
            assert sim.wait_for(lambda: slack.socket("lost") == 1, timeout=10)
            assert reaper.run().ok
            assert sim.wait_for(lambda: slack.socket("connected") == 2, timeout=20)
        assert slack.link.connected
        opened = [r for r in sim.requests if r.path.endswith("/apps.connections.open")]
        assert len(opened) >= 5  # four refused, then the one that brought the link back
        assert events(logs, "slack.socket_lost") == 1
        assert events(logs, "slack.socket_connected") == 1
        slack.click(dm_to(sim, IAN), "I still need it", IAN)
        assert slack.actions("keep", "accepted") == 1
    finally:
        slack.link.close()


def test_a_refresh_asked_by_slack_reconnects(
    sim: Simulator, reaper: Reaper, clock: FakeClock
) -> None:
    """Slack's "disconnect: refresh_requested" leads to a new connection, logged and counted."""
    slack = listen(sim, reaper, clock)
    try:
        opens = sim.socket_opens
        sim.drop_socket_connections(reason="refresh_requested")
        assert sim.wait_for(lambda: slack.socket("connected") == 2, timeout=20)
        assert sim.socket_opens > opens
        assert slack.socket("lost") == 1
    finally:
        slack.link.close()


def test_slack_away_at_start_is_retried_while_cycles_run(
    sim: Simulator, reaper: Reaper, clock: FakeClock
) -> None:
    """When apps.connections.open fails at start, cycles run anyway and the link tries again."""
    sim.inject(Fault(path=r"/apps\.connections\.open$", status=503, times=4))
    with capture_logs() as logs:
        slack = listen(sim, reaper, clock)
    try:
        assert events(logs, "slack.socket_failed") >= 1
        assert reaper.run().ok
        assert slack.socket("connected") == 1
    finally:
        slack.link.close()
    assert not any(
        event["event"] == "slack.socket_failed" and "xapp-" in str(event) for event in logs
    )


def test_closing_the_link_disconnects_and_says_so(
    sim: Simulator, reaper: Reaper, clock: FakeClock
) -> None:
    """Closing the link (on SIGTERM) ends the connection and logs slack.socket_closed."""
    slack = listen(sim, reaper, clock)
    with capture_logs() as logs:
        slack.link.close()
    assert sim.wait_for(lambda: sim.socket_connections == 0, timeout=10)
    assert events(logs, "slack.socket_closed") == 1
