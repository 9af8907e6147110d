"""Delivering the report with a bot token: the report, the full lists as a CSV, and DMs.

The main message names the users it lists, and all of them once the CSV with the full lists
is in its thread. Direct messages never count: the channel report is the warning of record.
Attaching the CSV and the direct messages never make delivery fail. With answers in Slack on
(an app-level token), the report and the warnings carry buttons whose values are sealed with
a key derived from the bot token (``reaper.slack.buttons``).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from reaper.errors import SlackDeliveryError
from reaper.logs import get_logger
from reaper.report.export import csv_text
from reaper.report.summary import Prices
from reaper.report.text import render_text
from reaper.slack.blocks import (
    BOT_FULL_LIST,
    LOG_FULL_LIST,
    Rendered,
    ReportStyle,
    render_report,
    render_unwarned,
)
from reaper.slack.buttons import Buttons, Sealer, epoch
from reaper.slack.dm import DirectMessenger
from reaper.slack.dm_plan import DmPlan
from reaper.slack.notifier import NOBODY, everyone_flagged, should_post
from reaper.slack.transport import post_message, upload_file, web_client

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import timedelta
    from pathlib import Path

    from reaper.report.model import CycleReport
    from reaper.slack.dm import Identify
    from reaper.slack.notifier import Named, ReportMode

log = get_logger(__name__)

DRY_RUN_DM_NOTE = "Direct messages are never sent in a dry run."


class BotNotifier:
    """Posts with a bot token: the report, the full lists as a CSV in its thread, and DMs."""

    def __init__(
        self,
        token: str,
        channel: str,
        api_url: str,
        *,
        report_mode: ReportMode = "changes",
        prices: Prices | None = None,
        direct_messages: bool = False,
        state_url: str | None = None,
        user_map_file: Path | None = None,
        identify: Identify | None = None,
        directory_max_age: timedelta | None = None,
        answers: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if direct_messages and state_url is None:
            raise ValueError("direct messages need the state URL to remember what was sent")
        self._client = web_client(token, api_url, sleep)
        self._channel = channel
        self._mode = report_mode
        self.prices = prices or Prices()
        self._dms = direct_messages
        self._state_url = state_url or ""
        self._user_map_file = user_map_file
        self._identify = identify
        self.told: list[tuple[str, str, str]] = []  # the last delivery's cancel DMs, with sources
        self._directory_max_age = directory_max_age
        self._sealer = Sealer(token) if answers else None
        self.target = f"slack channel {channel}"

    def _buttons(self, report: CycleReport) -> Buttons | None:
        """The buttons' maker for this report, when answers in Slack are on."""
        return None if self._sealer is None else Buttons(self._sealer, epoch(report.at))

    def render(self, report: CycleReport, plan: DmPlan | None = None) -> Rendered:
        """The message this notifier would post, naming the users that cannot be warned."""
        plan = plan or DmPlan()
        notes = list(plan.notes)
        if self._dms and report.dry_run:
            notes.append(DRY_RUN_DM_NOTE)
        style = ReportStyle(
            self.prices,
            BOT_FULL_LIST,
            tuple(plan.unwarned),
            tuple(notes),
            buttons=self._buttons(report),
        )
        return render_report(report, style)

    def deliver(self, report: CycleReport) -> Named:
        """Post the report (unless skipped), attach the CSV, then send the direct messages."""
        post = should_post(report, self._mode)
        dms = self._dms and not report.dry_run
        with DirectMessenger(
            self._client,
            report,
            state_url=self._state_url,
            user_map_file=self._user_map_file,
            buttons=self._buttons(report),
            identify=self._identify,
            directory_max_age=self._directory_max_age,
        ) as messenger:
            plan = messenger.prepare() if dms else DmPlan()
            admin_channel, thread, named = self._channel, None, NOBODY
            if post:
                try:
                    admin_channel, thread, named = self._post(report, plan)
                except SlackDeliveryError:
                    if dms:  # a cancel happened whatever the channel: its owner is still told
                        messenger.send(plan.only("cancelled"), self._channel)
                        self.told = messenger.told  # audited all the same (cycle.deliver)
                    raise
            else:
                log.info("report.skipped", target=self.target, reason="nothing new")
            if dms:
                failed = messenger.send(plan, admin_channel)
                self.told = messenger.told
                if failed and thread:
                    self._reply(admin_channel, thread, render_unwarned(failed, BOT_FULL_LIST))
        return named

    def _post(self, report: CycleReport, plan: DmPlan) -> tuple[str, str, Named]:
        """Post the report and attach the CSV if a list was cut; return whom they name."""
        rendered = self.render(report, plan)
        channel_id, ts = post_message(self._client, self._channel, rendered.payload)
        if not rendered.cut:
            return channel_id, ts, rendered.named
        extra = [("not_warned_directly", u.entry) for u in plan.unwarned]
        try:
            upload_file(
                self._client,
                channel_id=channel_id,
                thread_ts=ts,
                content=csv_text(report, extra, plan.contacts),
                filename=f"copilot-seats-{report.at:%Y-%m-%d}.csv",
                title=f"Copilot seats {report.at:%Y-%m-%d}: every listed seat",
                comment="The full lists of this report.",
            )
        except SlackDeliveryError as exc:
            not_named = len(everyone_flagged(report) - rendered.named)
            log.warning("report.attachment_failed", error=str(exc), not_named=not_named)
            log.info("report.full", report=render_text(report, self.prices))
            note = f"The full lists could not be attached; they are {LOG_FULL_LIST}."
            if not_named:
                note += (
                    f" The {not_named:,} newly flagged users not listed above were not warned: "
                    "they are listed again in the next report, and their grace period starts then."
                )
            self._reply(channel_id, ts, {"text": note})
            return channel_id, ts, rendered.named
        return channel_id, ts, everyone_flagged(report)

    def _reply(self, channel: str, thread: str, payload: dict[str, object]) -> None:
        """Post into the report's thread; a failure here is logged, never raised."""
        try:
            post_message(self._client, channel, payload, thread_ts=thread)
        except SlackDeliveryError as exc:
            log.warning("report.reply_failed", error=str(exc))
