"""Slack's wire format, shared by the Web API methods and the interactive side.

The simulated bot's and workspace's ids, the ``response_url`` path, how parameters arrive
(query string, form or JSON body), the ``{"ok": ...}`` answers, the blocks Slack refuses and
the conversation id Slack answers for a channel, a user or a name.
"""

from __future__ import annotations

import json
import re
import zlib
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from reaper.simulator.server import Response, json_response

if TYPE_CHECKING:
    from reaper.simulator.server import RecordedRequest

RESPONSE_PREFIX = "/slack/response/"
BOT_USER_ID = "U000BOT"
TEAM_ID = "T000"
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000


def request_params(request: RecordedRequest) -> dict[str, Any]:
    """Merge query-string, form and JSON-body parameters (later ones win)."""
    params: dict[str, Any] = {key: values[-1] for key, values in request.query.items()}
    content_type = request.headers.get("content-type", "")
    if "application/x-www-form-urlencoded" in content_type:
        form = parse_qs(request.text, keep_blank_values=True)
        params.update({key: values[-1] for key, values in form.items()})
    elif isinstance(request.json, dict):
        params.update(request.json)
    return params


def ok(**fields: Any) -> Response:
    """A Web API success: HTTP 200 with ``{"ok": true, ...}``."""
    return json_response(200, {"ok": True, **fields})


def fail(code: str) -> Response:
    """A Web API error: HTTP 200 with ``{"ok": false, "error": code}``, as Slack answers."""
    return json_response(200, {"ok": False, "error": code})


def decode_json(value: Any) -> Any:
    """Form-encoded clients send lists and objects (``blocks``, ``files``) as JSON strings."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def blocks_error(blocks: Any) -> str | None:
    """Slack's error code for blocks it would refuse, or ``None`` when they are acceptable."""
    if blocks is None:
        return None
    if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS:
        return "invalid_blocks"
    for block in blocks:
        text = block.get("text") if isinstance(block, dict) else None
        if isinstance(text, dict) and len(str(text.get("text", ""))) > MAX_SECTION_TEXT:
            return "invalid_blocks"
    return None


def channel_id(channel: str) -> str:
    """The conversation id Slack answers with: ids as given, users' DMs as ``D…``, names hashed."""
    if re.fullmatch(r"[CDG][A-Z0-9]+", channel):
        return channel
    if re.fullmatch(r"[UW][A-Z0-9]+", channel):
        return f"D{channel[1:]}"
    return f"C{zlib.crc32(channel.lstrip('#').encode()):08X}"
