"""Whole cycles delivering to the simulated Slack: webhook and bot token, limits, rate limits."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from typing import TYPE_CHECKING

import pytest

from reaper.simulator import Fault
from tests.harness import Reaper
from tests.harness import active_seat as active
from tests.harness import idle_seat as idle

from .support import CHANNEL, bot_settings, channel_messages, within_limits

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator
    from tests.conftest import FakeClock


@pytest.fixture
def reaper(sim: Simulator, clock: FakeClock, tmp_path: Path) -> Reaper:
    """A live reaper posting through the webhook."""
    return Reaper(sim, clock, tmp_path)


def test_webhook_posts_one_block_kit_report(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """By webhook, the report is one Block Kit message with header, counts and the flagged list."""
    idle(sim, clock, "idle-ian")
    active(sim, clock, "busy-bea")
    assert reaper.run().ok
    [message] = sim.slack_messages
    assert message["via"] == "webhook"
    assert message["blocks"][0]["text"]["text"] == "Copilot seats · acme · LIVE"
    body = json.dumps(message["blocks"])
    assert "*2* persons holding *2* seat grants" in body
    assert "*idle-ian*" in body
    assert "1 newly flagged" in message["text"]


def test_bot_posts_report_to_the_channel(reaper: Reaper, sim: Simulator, clock: FakeClock) -> None:
    """With a bot token the report goes by chat.postMessage to the configured channel."""
    idle(sim, clock, "idle-ian")
    reaper.overrides = bot_settings(sim)
    assert reaper.run().ok
    [message] = sim.slack_messages
    assert message["via"] == "chat.postMessage"
    assert message["channel"] == CHANNEL
    assert "*idle-ian*" in json.dumps(message["blocks"])
    assert sim.slack_files == []  # nothing was cut, so no CSV


def test_quiet_cycle_is_skipped_unless_always(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """A quiet cycle posts nothing by default, but does with REAPER_SLACK_REPORT=always."""
    idle(sim, clock, "idle-ian")
    reaper.run()
    clock.advance(days=1)
    outcome = reaper.run()
    assert outcome.ok
    assert len(sim.slack_messages) == 1
    reaper.overrides = {"slack_report": "always"}
    clock.advance(days=1)
    reaper.run()
    assert len(sim.slack_messages) == 2
    assert "*1* in grace" in json.dumps(sim.slack_messages[-1]["blocks"])


def test_failed_cycle_is_always_reported(reaper: Reaper, sim: Simulator, clock: FakeClock) -> None:
    """An org whose list cannot be read is reported even when nothing else is new."""
    reaper.overrides = {"github_max_attempts": 1}
    sim.inject(Fault(path="/copilot/billing/seats$", status=503))
    outcome = reaper.run()
    assert not outcome.ok
    assert "INCOMPLETE" in sim.slack_messages[0]["blocks"][0]["text"]["text"]


def test_ten_thousand_flagged_by_bot_with_full_csv(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """10,000 flagged users: the message keeps Slack's limits and the CSV in its thread has all."""
    for n in range(10_000):
        idle(sim, clock, f"user-{n:05d}")
    reaper.overrides = bot_settings(sim)
    assert reaper.run().ok
    [message] = channel_messages(sim)
    within_limits(message)
    assert "… and 9,9" in json.dumps(message["blocks"], ensure_ascii=False)
    [upload] = sim.slack_files
    assert upload["thread_ts"] == message["ts"]
    rows = list(csv.DictReader(io.StringIO(upload["content"].decode())))
    assert len(rows) == 10_000
    assert {row["list"] for row in rows} == {"flagged"}
    assert len(reaper.flags()) == 10_000


def test_ten_thousand_flagged_by_webhook_arrive_in_full(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """By webhook a cut list continues in further messages, each within limits, naming all."""
    for n in range(10_000):
        idle(sim, clock, f"user-{n:05d}")
    assert reaper.run().ok
    messages = sim.slack_messages
    for message in messages:
        within_limits(message)
    assert "messages that follow" in json.dumps(messages[0]["blocks"])
    body = json.dumps([m["blocks"] for m in messages], ensure_ascii=False)
    assert len(set(re.findall(r"\*(user-\d{5})\* · acme", body))) == 10_000
    assert all(flag.warned_at is not None for flag in reaper.flags().values())


def test_rate_limit_is_waited_out(reaper: Reaper, sim: Simulator, clock: FakeClock) -> None:
    """A 429 with Retry-After is waited out (on the cycle's own sleep), then delivered."""
    idle(sim, clock, "idle-ian")
    reaper.overrides = bot_settings(sim)
    sim.inject(
        Fault(
            path=r"chat\.postMessage",
            status=429,
            headers={"Retry-After": "7"},
            body={"ok": False, "error": "ratelimited"},
        )
    )
    outcome = reaper.run()
    assert outcome.ok
    assert reaper.waits == [7.0]  # recorded by the injected sleep, not slept
    assert len(sim.slack_messages) == 1
    posts = [r for r in sim.requests if r.path.endswith("chat.postMessage")]
    assert len(posts) == 2


def test_webhook_rate_limit_is_waited_out(reaper: Reaper, sim: Simulator, clock: FakeClock) -> None:
    """The webhook honours Retry-After too, on the cycle's own sleep."""
    idle(sim, clock, "idle-ian")
    sim.inject(Fault(path="/slack/webhook/", status=429, headers={"Retry-After": "7"}))
    assert reaper.run().ok
    assert reaper.waits == [7.0]
    assert len(sim.slack_messages) == 1


def test_too_long_rate_limit_fails_instead_of_hanging(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """A Retry-After longer than the reaper will wait fails the delivery; no grace starts."""
    idle(sim, clock, "idle-ian")
    reaper.overrides = bot_settings(sim)
    sim.inject(Fault(path=r"chat\.postMessage", status=429, headers={"Retry-After": "3600"}))
    started = time.monotonic()
    outcome = reaper.run()
    assert time.monotonic() - started < 30
    assert not outcome.delivered
    assert reaper.flags()[("acme", "idle-ian")].warned_at is None


def test_connection_error_is_retried(reaper: Reaper, sim: Simulator, clock: FakeClock) -> None:
    """A dropped connection is retried and the report still arrives."""
    idle(sim, clock, "idle-ian")
    sim.inject(Fault(path="/slack/webhook/", disconnect=True))
    assert reaper.run().ok
    assert len(sim.slack_messages) == 1


def test_refused_report_fails_the_delivery(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """Slack refusing the report (bot token) is a failed delivery, so no grace period starts."""
    idle(sim, clock, "idle-ian")
    reaper.overrides = bot_settings(sim)
    sim.inject(
        Fault(path=r"chat\.postMessage", status=200, body={"ok": False, "error": "not_in_channel"})
    )
    outcome = reaper.run()
    assert not outcome.delivered
    assert "not_in_channel" in (outcome.delivery_error or "")
    assert reaper.flags()[("acme", "idle-ian")].warned_at is None


def test_team_name_with_channel_mention_stays_text(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """A team named <!channel> reaches Slack escaped, as text that mentions nobody."""
    idle(sim, clock, "team-tom", team="<!channel>")
    reaper.run()
    clock.advance(days=7)
    reaper.run()
    body = json.dumps(sim.slack_messages[-1]["blocks"])
    assert "team *&lt;!channel&gt;*" in body
    assert "<!channel>" not in body


def test_failed_upload_does_not_fail_the_report(
    reaper: Reaper, sim: Simulator, clock: FakeClock
) -> None:
    """When the CSV cannot be attached the report still counts as delivered, with a note."""
    for n in range(40):
        idle(sim, clock, f"user-{n:03d}")
    reaper.overrides = bot_settings(sim)
    sim.inject(
        Fault(
            path=r"files\.getUploadURLExternal",
            status=200,
            body={"ok": False, "error": "not_allowed_token_type"},
        )
    )
    outcome = reaper.run()
    assert outcome.ok
    note = sim.slack_messages[-1]
    assert note["thread_ts"] == sim.slack_messages[0]["ts"]
    assert "could not be attached" in note["text"]
