"""Slack's directory in the simulator: ``users.list`` with cursors, and the bot token's scopes.

The workspace is every user of ``users_by_email`` (answered by ``users.lookupByEmail`` too),
sorted by id; ``deactivated`` ones are ``deleted``, ``bots`` are bots (with no e-mail, as
Slack's bot users have none) and ``strangers`` belong to another workspace (``is_stranger``,
another ``team_id``). Pages hold ``limit`` users (default and most: 200, as Slack advises)
and end with ``response_metadata.next_cursor``, empty on the last page. ``scopes`` are the
bot token's, sent back on every Web API answer in ``x-oauth-scopes`` as Slack does; a method
needing a scope the token lacks answers ``missing_scope``. ``per_minute`` (0: no limit) is
``users.list``'s Tier-2 limit: past it within a minute of the simulator's clock, HTTP 429
with ``Retry-After`` (the rest of the minute, or ``retry_after`` when set).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from reaper.simulator.server import json_response
from reaper.simulator.slack_wire import TEAM_ID, fail, ok

if TYPE_CHECKING:
    from reaper.simulator.server import Response

MAX_LIMIT = 200
BOT_SCOPES = frozenset(
    {
        "chat:write",
        "files:write",
        "im:write",
        "users:read",
        "users:read.email",
        "usergroups:read",
    }
)
NEEDS = {"users.list": ("users:read",), "users.lookupByEmail": ("users:read", "users:read.email")}


@dataclass
class Directory:
    """Who else the workspace holds, and the bot token's scopes."""

    bots: set[str] = field(default_factory=set)
    strangers: set[str] = field(default_factory=set)
    scopes: set[str] = field(default_factory=lambda: set(BOT_SCOPES))
    per_minute: int = 0  # users.list's Tier-2 limit; 0: none
    retry_after: int | None = None  # the Retry-After to answer; None: the rest of the minute
    limited: int = 0  # how many users.list calls were answered 429
    _calls: list[datetime] = field(default_factory=list)

    def throttled(self, now: datetime) -> Response | None:
        """HTTP 429 when ``users.list`` is past its Tier-2 limit within the last minute."""
        if not self.per_minute:
            return None
        self._calls = [t for t in self._calls if now - t < timedelta(minutes=1)]
        if len(self._calls) < self.per_minute:
            self._calls.append(now)
            return None
        self.limited += 1
        left = 60 - int((now - self._calls[0]).total_seconds())
        wait = self.retry_after if self.retry_after is not None else max(left, 1)
        return json_response(
            429, {"ok": False, "error": "ratelimited"}, headers={"Retry-After": str(wait)}
        )

    def missing(self, method: str) -> Response | None:
        """``missing_scope`` when the token lacks a scope the method needs."""
        lacking = [s for s in NEEDS.get(method, ()) if s not in self.scopes]
        return fail("missing_scope") if lacking else None

    def header(self) -> dict[str, str]:
        """The ``x-oauth-scopes`` header Slack sends back with every answer."""
        return {"x-oauth-scopes": ",".join(sorted(self.scopes))}

    def users_list(
        self, params: dict[str, Any], users_by_email: dict[str, str], deactivated: set[str]
    ) -> Response:
        """One page of the workspace's users, from ``cursor``."""
        try:
            limit = int(params.get("limit") or MAX_LIMIT)
            start = _index(str(params.get("cursor") or ""))
        except ValueError:
            return fail("invalid_cursor")
        limit = min(max(limit, 1), MAX_LIMIT)
        people = sorted((uid, email) for email, uid in users_by_email.items())
        everyone = people + sorted((uid, "") for uid in self.bots)
        page = everyone[start : start + limit]
        more = start + limit < len(everyone)
        return ok(
            members=[self._member(uid, email, deactivated) for uid, email in page],
            cache_ts=0,
            response_metadata={"next_cursor": _cursor(start + limit) if more else ""},
        )

    def _member(self, uid: str, email: str, deactivated: set[str]) -> dict[str, Any]:
        name = email.split("@", 1)[0] if email else uid.lower()
        profile: dict[str, Any] = {"real_name": name, "display_name": name}
        if email:
            profile["email"] = email
        stranger = uid in self.strangers
        return {
            "id": uid,
            "team_id": "T999" if stranger else TEAM_ID,
            "name": name,
            "deleted": uid in deactivated,
            "is_bot": uid in self.bots,
            "is_stranger": stranger,
            "profile": profile,
        }


def _cursor(index: int) -> str:
    return base64.b64encode(f"user:{index}".encode()).decode()


def _index(cursor: str) -> int:
    if not cursor:
        return 0
    text = base64.b64decode(cursor.encode(), validate=True).decode()
    if not text.startswith("user:"):
        raise ValueError(cursor)
    return int(text.removeprefix("user:"))
