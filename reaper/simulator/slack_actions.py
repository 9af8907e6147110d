"""Slack's interactive side: the messages as they stand, button clicks and what answers them.

Posted messages are kept by (channel id, ts) so ``chat.update`` and ``response_url`` posts can
change them and a click can carry the message as it is now. ``click_payload`` builds a
``block_actions`` payload the way Slack does and gives it a ``response_url`` served at
``/slack/response/<opaque>``.
"""

from __future__ import annotations

import copy
import itertools
import secrets
from typing import TYPE_CHECKING, Any

from reaper.simulator.server import Response, json_response
from reaper.simulator.slack_wire import (
    BOT_USER_ID,
    RESPONSE_PREFIX,
    TEAM_ID,
    blocks_error,
    channel_id,
    decode_json,
    fail,
    ok,
)
from reaper.simulator.socket_mode import APP_ID

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable
    from datetime import datetime

    from reaper.simulator.server import RecordedRequest

VERIFICATION_TOKEN = "simverificationtoken"  # Slack's legacy per-app token, sent in payloads
RESPONSE_URL_USES = 5  # Slack accepts five posts to one response_url


def _button_label(blocks: Any, action_id: str, value: str) -> str | None:
    """The text of the button with this action id (and value) in ``blocks``, if there is one."""
    if not isinstance(blocks, list):
        return None
    found: str | None = None
    for block in blocks:
        if not isinstance(block, dict):
            continue
        elements = [*(block.get("elements") or []), block.get("accessory")]
        for element in elements:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                text = element.get("text")
                label = str(text.get("text", "")) if isinstance(text, dict) else None
                if element.get("value") == value:
                    return label
                found = found or label
    return found


class SlackActions:
    """Messages as they stand, their updates, ephemeral posts, clicks and response URLs."""

    def __init__(
        self,
        *,
        lock: threading.RLock,
        clock: Callable[[], datetime],
        base_url: Callable[[], str],
    ) -> None:
        self.lock = lock
        self.clock = clock
        self.base_url = base_url
        self.live: dict[tuple[str, str], dict[str, Any]] = {}
        self.updates: list[dict[str, Any]] = []
        self.ephemeral: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []
        self.user_groups: dict[str, list[str]] = {}
        self._names: dict[str, str] = {}  # channel id -> the name it was posted to by
        self._response_urls: dict[str, dict[str, Any]] = {}
        self._counter = itertools.count(1)

    def new_ts(self) -> str:
        """A message timestamp Slack-style (seconds.serial), unique in this simulator."""
        return f"{int(self.clock().timestamp())}.{next(self._counter):06d}"

    def reset(self) -> None:
        """Forget recorded updates, ephemeral posts and responses (messages stay)."""
        with self.lock:
            self.updates.clear()
            self.ephemeral.clear()
            self.responses.clear()

    # -- messages as they stand --------------------------------------------------------------

    def remember(self, channel: str, message: dict[str, Any]) -> None:
        """Keep a posted message so it can be updated and clicked."""
        conversation = channel_id(channel)
        with self.lock:
            self.live[(conversation, str(message["ts"]))] = copy.deepcopy(message)
            if conversation != channel:
                self._names.setdefault(conversation, channel.lstrip("#"))

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The message as it stands now, or ``None`` (never posted, or deleted)."""
        with self.lock:
            found = self.live.get((channel_id(channel), ts))
            return copy.deepcopy(found) if found is not None else None

    def update(self, params: dict[str, Any]) -> Response:
        """``chat.update``: change a message's text and blocks."""
        args = {key: decode_json(value) for key, value in params.items()}
        channel, ts = str(args.get("channel") or ""), str(args.get("ts") or "")
        if not channel:
            return fail("channel_not_found")
        message = self.live.get((channel_id(channel), ts))
        if message is None:
            return fail("message_not_found")
        text, blocks = args.get("text"), args.get("blocks")
        if not text and not blocks:
            return fail("no_text")
        if problem := blocks_error(blocks):
            return fail(problem)
        self.updates.append({**args, "channel": channel, "ts": ts, "text": text, "blocks": blocks})
        self._replace(message, text, blocks)
        return ok(channel=channel_id(channel), ts=ts, text=text or "", message=dict(message))

    def post_ephemeral(self, params: dict[str, Any]) -> Response:
        """``chat.postEphemeral``: a message only ``user`` sees; recorded, never kept."""
        args = {key: decode_json(value) for key, value in params.items()}
        if not args.get("channel"):
            return fail("channel_not_found")
        if not args.get("user"):
            return fail("user_not_found")
        if not args.get("text") and not args.get("blocks"):
            return fail("no_text")
        if problem := blocks_error(args.get("blocks")):
            return fail(problem)
        ts = self.new_ts()
        self.ephemeral.append(
            {"text": args.get("text"), "blocks": args.get("blocks"), **args, "message_ts": ts}
        )
        return ok(message_ts=ts)

    def usergroup_users(self, params: dict[str, Any]) -> Response:
        """``usergroups.users.list``: the members of a user group (``S…``)."""
        users = self.user_groups.get(str(params.get("usergroup") or ""))
        if users is None:
            return fail("no_such_subteam")
        return ok(users=list(users))

    @staticmethod
    def _replace(message: dict[str, Any], text: Any, blocks: Any) -> None:
        message["text"] = text or ""
        if blocks:
            message["blocks"] = blocks
        else:
            message.pop("blocks", None)

    # -- clicks ------------------------------------------------------------------------------

    def click_payload(
        self,
        *,
        action_id: str,
        value: str,
        user_id: str,
        user_name: str,
        channel: str,
        message_ts: str,
        block_id: str,
    ) -> dict[str, Any]:
        """A ``block_actions`` payload for a button click, with a fresh ``response_url``."""
        conversation = channel_id(channel)
        now = self.clock().timestamp()
        opaque = secrets.token_urlsafe(12)
        with self.lock:
            message = self.live.get((conversation, message_ts))
            self._response_urls[opaque] = {
                "user_id": user_id,
                "channel": conversation,
                "message_ts": message_ts,
                "uses": 0,
            }
            shown = copy.deepcopy(message) if message is not None else None
        label = _button_label(shown.get("blocks") if shown else None, action_id, value)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": TEAM_ID},
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": conversation,
                "is_ephemeral": False,
            },
            "trigger_id": f"{int(now)}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}",
            "team": {"id": TEAM_ID, "domain": "simulated"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": conversation, "name": self._channel_name(conversation)},
            "state": {"values": {}},
            "response_url": f"{self.base_url()}{RESPONSE_PREFIX}{opaque}",
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": block_id,
                    "text": {"type": "plain_text", "text": label or action_id, "emoji": True},
                    "value": value,
                    "type": "button",
                    "action_ts": f"{now:.6f}",
                }
            ],
        }
        if shown is not None:
            payload["message"] = shown
        return payload

    def _channel_name(self, conversation: str) -> str:
        """The name Slack puts beside a channel id in payloads."""
        if conversation.startswith("D"):
            return "directmessage"
        if conversation.startswith("G"):
            return "privategroup"
        return self._names.get(conversation, conversation.lower())

    def respond(self, request: RecordedRequest, opaque: str) -> Response:
        """A post to a click's ``response_url``: replace, delete, or add a message."""
        click = self._response_urls.get(opaque)
        if click is None or request.method != "POST":
            return json_response(404, {"ok": False, "error": "expired_url"})
        body = request.json
        if not isinstance(body, dict):
            return json_response(400, {"ok": False, "error": "invalid_payload"})
        if click["uses"] >= RESPONSE_URL_USES:
            return json_response(404, {"ok": False, "error": "used_url"})
        click["uses"] += 1
        self.responses.append(
            {
                **body,
                "url": request.url,
                "user_id": click["user_id"],
                "channel": click["channel"],
                "message_ts": click["message_ts"],
                "body": copy.deepcopy(body),
            }
        )
        key = (click["channel"], click["message_ts"])
        if body.get("delete_original"):
            self.live.pop(key, None)
        elif body.get("replace_original") and key in self.live:
            self._replace(self.live[key], body.get("text"), body.get("blocks"))
        elif body.get("response_type") == "in_channel":
            ts = self.new_ts()
            message = {"type": "message", "user": BOT_USER_ID, "text": body.get("text") or ""}
            if body.get("blocks"):
                message["blocks"] = body["blocks"]
            self.live[(click["channel"], ts)] = {**message, "ts": ts}
        return json_response(200, {"ok": True})
