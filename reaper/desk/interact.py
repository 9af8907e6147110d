"""The Bolt app that answers the reaper's buttons, and what follows every click.

Each click is acknowledged first (Slack wants an answer within 3 seconds), then answered by
``reaper.desk.clicks.Desk`` in Bolt's worker thread. What it did is shown where it was
clicked: an accepted click replaces its buttons in place with what happened (``chat.update``),
a refused one gets a reply only the clicker sees (``chat.postEphemeral``). Every click, accepted
or refused, is logged (``slack.action``), counted (``reaper_slack_actions_total``) and, in a
live run, written to the audit log (``slack.action``). Every text sent is scrubbed.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from slack_bolt import App

from reaper.app import utc_now
from reaper.app.identities import identify_for
from reaper.desk.answer import Answer, Click
from reaper.desk.clicks import Desk
from reaper.desk.who import Admins, Resolver
from reaper.errors import StateStoreError
from reaper.logs import get_logger
from reaper.redact import scrub_data
from reaper.slack.buttons import ACTION_PATTERN, Sealer
from reaper.slack.mrkdwn import MAX_SECTION_CHARS, clip, section
from reaper.slack.transport import SlackCallError, call, web_client
from reaper.store import AuditEntry, SqlStore

if TYPE_CHECKING:
    from collections.abc import Callable
    from concurrent.futures import Executor
    from datetime import datetime

    from slack_bolt import Ack
    from slack_sdk import WebClient

    from reaper.config.settings import Settings
    from reaper.metrics import Metrics

log = get_logger(__name__)

ACTION = "slack.action"
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
_IN_PLACE = {"accepted", "asked"}


def click_of(body: dict[str, Any]) -> Click:
    """The click in a ``block_actions`` payload (a user id that is not one is no user)."""
    action = (body.get("actions") or [{}])[0]
    container = body.get("container") or {}
    message = body.get("message") or {}
    user = str((body.get("user") or {}).get("id") or "")
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id") or ""
    return Click(
        user=user if _USER_ID.match(user) else "",
        action_id=str(action.get("action_id") or ""),
        value=action.get("value"),
        channel=str(channel),
        message_ts=str(container.get("message_ts") or message.get("ts") or ""),
        block_id=str(action.get("block_id") or ""),
        blocks=[b for b in message.get("blocks") or [] if isinstance(b, dict)],
        text=str(message.get("text") or ""),
    )


def edited(
    blocks: list[dict[str, Any]],
    block_id: str,
    note: str | None,
    replacement: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]] | None:
    """The message's blocks with the clicked block's buttons replaced; ``None`` if not found.

    A line with a button keeps its text, loses the button and gains ``note``; a row of buttons
    becomes ``replacement`` (a question) or a section saying ``note``.
    """
    out: list[dict[str, Any]] = []
    found = False
    for block in blocks:
        if not block_id or block.get("block_id") != block_id:
            out.append(block)
            continue
        found = True
        if replacement is not None:
            out.extend(replacement)
        elif block.get("type") == "actions" or "accessory" not in block:
            out.append(section(note or ""))
        else:
            line = str((block.get("text") or {}).get("text") or "")
            kept = {k: v for k, v in block.items() if k not in {"accessory", "text"}}
            text = clip(f"{line}\n{note or ''}", MAX_SECTION_CHARS)
            out.append({**kept, "text": {"type": "mrkdwn", "text": text}})
    return out if found else None


class Interactions:
    """Answers clicks with the desk, shows the answer in Slack, and records every click."""

    def __init__(
        self,
        settings: Settings,
        *,
        client: WebClient,
        desk: Desk,
        metrics: Metrics | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._settings = settings
        self._client = client
        self._desk = desk
        self._metrics = metrics
        self._clock = clock

    def handle(self, click: Click) -> Answer:
        """Answer one click, show the answer, record it; never raises for Slack or the store."""
        answer = self._desk.answer(click)
        self._show(click, answer)
        self._record(click, answer)
        return answer

    def _show(self, click: Click, answer: Answer) -> None:
        try:
            if answer.outcome in _IN_PLACE:
                blocks = edited(click.blocks, click.block_id, answer.note, answer.blocks)
                if blocks is not None and click.channel and click.message_ts:
                    payload = scrub_data({"text": click.text or answer.say, "blocks": blocks})
                    call(
                        "chat.update",
                        lambda: self._client.chat_update(
                            channel=click.channel, ts=click.message_ts, **payload
                        ),
                    )
                    return
            if click.channel and click.user:
                text = scrub_data(answer.say)
                call(
                    "chat.postEphemeral",
                    lambda: self._client.chat_postEphemeral(
                        channel=click.channel, user=click.user, text=text
                    ),
                )
        except SlackCallError as exc:
            log.warning("slack.reply_failed", action=answer.action, error=str(exc))

    def _record(self, click: Click, answer: Answer) -> None:
        """Audit (live runs), log, then count: the count comes last, once all is done."""
        dry_run = self._desk.dry_run
        if not dry_run:  # a dry run writes nothing
            self._audit(click, answer)
        log.info(
            ACTION,
            action=answer.action,
            outcome=answer.outcome,
            slack_user=click.user,
            login=answer.login,
            org=answer.scope,
            dry_run=dry_run,
            detail=answer.detail or None,
        )
        if self._metrics is not None:
            self._metrics.record_slack_action(answer.action, answer.outcome)

    def _audit(self, click: Click, answer: Answer) -> None:
        reason = (
            f"{answer.action} clicked by Slack user {click.user or 'unknown'}: {answer.outcome}"
        )
        if answer.detail:
            reason += f" ({answer.detail})"
        entry = AuditEntry(self._clock(), answer.scope or "slack", answer.login, ACTION, reason)
        try:
            store = SqlStore(self._settings.state_url)
            try:
                store.commit(audit=[entry])
            finally:
                store.close()
        except StateStoreError as exc:
            log.error("slack.action_not_audited", action=answer.action, error=str(exc))


def make_app(
    settings: Settings,
    *,
    executor: Executor,
    metrics: Metrics | None = None,
    clock: Callable[[], datetime] = utc_now,
    sleep: Callable[[float], None] = time.sleep,
) -> App:
    """The Bolt app for the settings' bot token (Bolt checks it with ``auth.test``)."""
    assert settings.slack_bot_token is not None
    bot = settings.slack_bot_token.get_secret_value()
    client = web_client(bot, settings.slack_api_url, sleep)
    desk = Desk(
        settings,
        sealer=Sealer(bot),
        resolver=Resolver(
            client,
            state_url=settings.state_url,
            user_map_file=settings.user_map_file,
            identify=identify_for(settings, clock, sleep),
        ),
        admins=Admins(client, settings.slack_admins),
        clock=clock,
        sleep=sleep,
    )
    interactions = Interactions(settings, client=client, desk=desk, metrics=metrics, clock=clock)
    app = App(client=client, name="copilot-seat-reaper", listener_executor=executor)

    @app.action(re.compile(ACTION_PATTERN))
    def clicked(ack: Ack, body: dict[str, Any]) -> None:
        ack()  # first: Slack waits at most 3 seconds for it
        interactions.handle(click_of(body))

    return app
