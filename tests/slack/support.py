"""Helpers for the Slack tests: settings for each delivery mode, seat builders, checks."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from reaper.slack.mrkdwn import MAX_TEXT_CHARS, MAX_TOTAL_BLOCK_CHARS, block_chars
from tests.conftest import SLACK_BOT_TOKEN

if TYPE_CHECKING:
    from reaper.simulator import Simulator

CHANNEL = "#copilot-admins"


def bot_settings(sim: Simulator, **more: Any) -> dict[str, Any]:
    """Overrides that make the harness deliver with a bot token instead of the webhook."""
    return {
        "slack_webhook_url": None,
        "slack_bot_token": SLACK_BOT_TOKEN,
        "slack_channel": CHANNEL,
        "slack_api_url": sim.slack_api_url,
        **more,
    }


def channel_messages(sim: Simulator) -> list[dict[str, Any]]:
    """Messages posted to the report channel (webhook or chat.postMessage), not DMs."""
    return [
        m
        for m in sim.slack_messages
        if m["via"] == "webhook" or not str(m.get("channel", "")).startswith(("U", "D"))
    ]


def direct_messages(sim: Simulator) -> list[dict[str, Any]]:
    """Messages posted to a user's DM channel."""
    return [m for m in sim.slack_messages if str(m.get("channel", "")).startswith(("D", "U"))]


def within_limits(message: dict[str, Any]) -> None:
    """Assert one message keeps every Slack limit the reaper promises."""
    blocks = message["blocks"]
    assert len(blocks) <= 50
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict):
            assert len(text["text"]) <= 3000
    assert block_chars(blocks) <= MAX_TOTAL_BLOCK_CHARS
    assert len(message["text"]) < MAX_TEXT_CHARS
    assert len(json.dumps(blocks)) < 40_000
