"""Helpers for the button tests: a reaper with answers in Slack, its Socket Mode link, clicks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reaper.desk.socket import SocketLink
from reaper.metrics import Metrics
from reaper.store import SqlStore
from tests.deploy.test_service_http import metric
from tests.harness import Reaper

from .support import bot_settings, channel_messages

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator
    from reaper.store import AuditEntry
    from tests.conftest import FakeClock

IAN, IVY, ADMIN, GROUPED = "U0IAN", "U0IVY", "U0ADM", "U0GRP"
ADMIN_GROUP = "S0ADMINS"


def answering_reaper(sim: Simulator, clock: FakeClock, tmp_path: Path, **more: Any) -> Reaper:
    """A live reaper with a bot token, DMs, a user map (idle-ian, idle-ivy) and an app token."""
    user_map = tmp_path / "users.csv"
    user_map.write_text("login,email\nidle-ian,ian@example.com\nidle-ivy,ivy@example.com\n")
    sim.slack_users_by_email = {"ian@example.com": IAN, "ivy@example.com": IVY}
    sim.slack_user_groups = {ADMIN_GROUP: [GROUPED]}
    runner = Reaper(sim, clock, tmp_path)
    runner.overrides = bot_settings(
        sim,
        slack_dm=True,
        user_map_file=user_map,
        slack_app_token=sim.slack_app_token,
        slack_admins=[ADMIN, ADMIN_GROUP],
        keep_days=30,
        **more,
    )
    return runner


@dataclass
class Listening:
    """A started Socket Mode link and its metrics."""

    sim: Simulator
    reaper: Reaper
    link: SocketLink
    metrics: Metrics = field(default_factory=lambda: Metrics(dry_run=False))

    def actions(self, action: str, outcome: str) -> float:
        text = self.metrics.render().decode()
        return metric(text, "reaper_slack_actions_total", action=action, outcome=outcome) or 0.0

    def socket(self, event: str) -> float:
        text = self.metrics.render().decode()
        return metric(text, "reaper_slack_socket_events_total", event=event) or 0.0

    def clicks(self) -> float:
        text = self.metrics.render().decode()
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("reaper_slack_actions_total{")
        )

    def click(
        self, message: dict[str, Any], label: str, user: str, *, row: str = "", wait: bool = True
    ) -> dict[str, Any]:
        """Click a button of a message as it stands (in the line naming ``row``); wait for it."""
        channel, ts = str(message["channel"]), str(message["ts"])
        current = self.sim.slack_message(channel, ts)
        assert current is not None
        block_id, element = find_button(current, label, row)
        before = self.clicks()
        ack = self.sim.click(
            action_id=element["action_id"],
            value=element["value"],
            user_id=user,
            channel=channel,
            message_ts=ts,
            block_id=block_id,
        )
        if wait:
            assert self.sim.wait_for(lambda: self.clicks() > before, timeout=20)
        return ack


def listen(sim: Simulator, reaper: Reaper, clock: FakeClock) -> Listening:
    """Start a Socket Mode link for the reaper's settings and wait until it is connected."""
    settings = reaper.settings()
    metrics = Metrics(dry_run=settings.dry_run)
    link = SocketLink(
        settings,
        metrics=metrics,
        clock=clock,
        sleep=reaper.waits.append,
        ping_seconds=0.2,
        retry_seconds=(0.2,),
    )
    link.start()
    assert sim.socket_connected(10)
    assert sim.wait_for(lambda: link.connected, timeout=10)
    return Listening(sim, reaper, link, metrics)


def _buttons(block: dict[str, Any]) -> list[dict[str, Any]]:
    elements = [*(block.get("elements") or []), block.get("accessory")]
    return [e for e in elements if isinstance(e, dict) and e.get("type") == "button"]


def find_button(message: dict[str, Any], label: str, row: str = "") -> tuple[str, dict[str, Any]]:
    """(block_id, button) of the button labelled ``label`` (in the line naming ``row``)."""
    for block in message.get("blocks") or []:
        line = str((block.get("text") or {}).get("text") or "")
        for element in _buttons(block):
            if element["text"]["text"] == label and row in line:
                return str(block.get("block_id", "")), element
    raise AssertionError(f"no button {label!r} in the message")


def labels(message: dict[str, Any]) -> list[str]:
    """The labels of every button in a message, in order."""
    return [e["text"]["text"] for block in message.get("blocks") or [] for e in _buttons(block)]


def dm_to(sim: Simulator, user: str, index: int = -1) -> dict[str, Any]:
    """A direct message posted to ``user`` (the last one by default)."""
    channel = f"D{user[1:]}"
    sent = [m for m in sim.slack_messages if m.get("channel") == channel]
    assert sent, f"no direct message to {user}"
    return sent[index]


def report(sim: Simulator, index: int = -1) -> dict[str, Any]:
    """A channel report as posted (not a thread reply)."""
    return [m for m in channel_messages(sim) if not m.get("thread_ts")][index]


def text_of(message: dict[str, Any] | None) -> str:
    """Every text of a message's blocks, joined."""
    assert message is not None
    parts = [str(message.get("text") or "")]
    for block in message.get("blocks") or []:
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(str(text.get("text", "")))
        elements = block.get("elements") or []
        parts.extend(e["text"] for e in elements if isinstance(e.get("text"), str))
    return "\n".join(parts)


def told(sim: Simulator, user: str) -> list[str]:
    """The private (ephemeral) replies ``user`` got."""
    return [str(e.get("text")) for e in sim.slack_ephemeral if e.get("user") == user]


def audit(reaper: Reaper, event: str | None = None) -> list[AuditEntry]:
    store = SqlStore(reaper.state_url)
    try:
        return [e for e in store.audit_log() if event is None or e.event == event]
    finally:
        store.close()
