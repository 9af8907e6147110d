"""A button click as Slack sent it, and the answer the reaper gives it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Click:
    """One button click, as Slack sent it."""

    user: str  # the Slack user who clicked
    action_id: str
    value: object
    channel: str
    message_ts: str
    block_id: str
    blocks: list[dict[str, Any]] = field(default_factory=list)  # the message as it stands
    text: str = ""  # the message's notification text


@dataclass(frozen=True, slots=True)
class Answer:
    """What a click did: an outcome for logs and metrics, and words for the clicker.

    ``note`` (accepted clicks) replaces the clicked buttons in place; ``blocks`` replace them
    with a question (the release confirmation); otherwise ``say`` goes to the clicker alone.
    """

    action: str  # the sealed kind, or "unknown"
    outcome: str  # accepted, asked, dry_run, not_allowed, unreadable, stale, already, gone, ...
    say: str  # mrkdwn, escaped
    login: str | None = None
    scope: str | None = None
    note: str | None = None
    blocks: list[dict[str, Any]] | None = None
    detail: str = ""  # for the log only (why a value was unreadable, what failed)
