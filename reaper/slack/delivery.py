"""Delivering a cycle's report: Slack incoming webhook, Slack Web API (bot token), or the log.

``deliver`` returns the flagged users (org, login) that were *named* in what reached the
target: only their grace periods start ("warned means named"). It returns normally when the
main report reached its target, or when it was skipped on purpose
(``REAPER_SLACK_REPORT=changes`` and nothing new: nobody is named); otherwise it raises
``SlackDeliveryError`` and nobody is named.

- The log names every flagged user.
- A webhook posts the main message, then the lines it left out in continuation messages
  (``reaper.slack.continued``). A failed continuation is logged and its users are not named;
  the others are still tried, unless two fail in a row (Slack is then taken to be down and
  the rest are not tried, so a cycle never waits out the timeouts of every part).
- A bot token names the users listed in the main message, and all of them once the CSV with
  the full lists is in its thread. Direct messages never count: the channel report is the
  warning of record. Attaching the CSV and the direct messages never make delivery fail.
  With answers in Slack on (an app-level token), the report and the warnings carry buttons
  whose values are sealed with a key derived from the bot token (``reaper.slack.buttons``).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Literal, Protocol

from reaper.errors import SlackDeliveryError
from reaper.logs import get_logger
from reaper.report.export import csv_text
from reaper.report.summary import Prices
from reaper.report.text import render_text
from reaper.slack.blocks import (
    BOT_FULL_LIST,
    LOG_FULL_LIST,
    WEBHOOK_FULL_LIST,
    Rendered,
    ReportStyle,
    render_report,
    render_unwarned,
)
from reaper.slack.buttons import Buttons, Sealer, epoch
from reaper.slack.continued import render_continuations
from reaper.slack.dm import DirectMessenger, DmPlan
from reaper.slack.transport import (
    post_message,
    send_webhook,
    upload_file,
    web_client,
    webhook_client,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from reaper.config.settings import Settings
    from reaper.report.model import CycleReport

log = get_logger(__name__)

ReportMode = Literal["changes", "always"]
Named = frozenset[tuple[str, str]]  # (org, login) of flagged entries named in what was delivered
NOBODY: Named = frozenset()
DRY_RUN_DM_NOTE = "Direct messages are never sent in a dry run."
MAX_FAILURES_IN_A_ROW = 2  # continuation messages: then Slack is taken to be down


class Notifier(Protocol):
    """Something that delivers a cycle's report, or raises ``SlackDeliveryError``."""

    @property
    def target(self) -> str:
        """Where reports go, for logs and checklists (no secrets)."""
        ...

    def deliver(self, report: CycleReport) -> Named:
        """Deliver the report; return the flagged (org, login) pairs named in what arrived."""
        ...


def everyone_flagged(report: CycleReport) -> Named:
    """Every flagged entry of the report, as (org, login)."""
    return frozenset((entry.org, entry.login) for entry in report.entries("flagged"))


def should_post(report: CycleReport, mode: ReportMode) -> bool:
    """Tell whether to post: always, or when something changed, or when the cycle failed."""
    return mode == "always" or report.has_changes or report.failed


class LogNotifier:
    """Writes the whole report to the log, for when Slack is not configured."""

    target = "log"

    def deliver(self, report: CycleReport) -> Named:
        """Log the whole report in one event: the log names every flagged user."""
        log.info("report.logged", report=render_text(report))
        return everyone_flagged(report)


class WebhookNotifier:
    """Posts the report to one Slack channel through an incoming webhook."""

    target = "slack webhook"

    def __init__(
        self,
        url: str,
        *,
        report_mode: ReportMode = "changes",
        prices: Prices | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = webhook_client(url, sleep)
        self._mode = report_mode
        self._prices = prices or Prices()

    def render(self, report: CycleReport) -> Rendered:
        """The message this notifier would post."""
        return render_report(report, ReportStyle(self._prices, WEBHOOK_FULL_LIST))

    def deliver(self, report: CycleReport) -> Named:
        """Post the report and its continuations (unless skipped); raise if the first fails."""
        if not should_post(report, self._mode):
            log.info("report.skipped", target=self.target, reason="nothing new")
            return NOBODY
        rendered = self.render(report)
        send_webhook(self._client, rendered.payload)
        parts = render_continuations(report, rendered.rest)
        return rendered.named | self._continue(report, parts)

    def _continue(self, report: CycleReport, parts: list[Rendered]) -> Named:
        """Post the continuations in order; return whom the delivered ones name."""
        named: set[tuple[str, str]] = set()
        lost: list[int] = []
        in_a_row = 0
        for number, part in enumerate(parts, start=2):
            if in_a_row >= MAX_FAILURES_IN_A_ROW:
                lost.append(number)
                continue
            try:
                send_webhook(self._client, part.payload)
            except SlackDeliveryError as exc:
                in_a_row += 1
                lost.append(number)
                log.warning(
                    "report.continuation_failed",
                    part=number,
                    parts=len(parts) + 1,
                    not_named=len(part.named),
                    error=str(exc),
                )
                continue
            in_a_row = 0
            named.update(part.named)
        if lost:
            self._lost(report, lost, len(parts) + 1, tried_all=in_a_row < MAX_FAILURES_IN_A_ROW)
        return frozenset(named)

    def _lost(self, report: CycleReport, lost: list[int], parts: int, *, tried_all: bool) -> None:
        """Log the whole report, and tell the channel which parts are missing if it can."""
        log.error("report.continuations_lost", lost_parts=lost, parts=parts, tried_all=tried_all)
        log.info("report.full", report=render_text(report))
        if not tried_all:
            return
        missing = ", ".join(str(n) for n in lost)
        note = (
            f"Part {missing} of {parts} of this report could not be posted. The newly flagged "
            "users listed only there were not warned: they are listed again in the next report, "
            "and their grace period starts then."
        )
        try:
            send_webhook(self._client, {"text": note})
        except SlackDeliveryError as exc:
            log.warning("report.note_failed", error=str(exc))


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
        answers: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if direct_messages and state_url is None:
            raise ValueError("direct messages need the state URL to remember what was sent")
        self._client = web_client(token, api_url, sleep)
        self._channel = channel
        self._mode = report_mode
        self._prices = prices or Prices()
        self._dms = direct_messages
        self._state_url = state_url or ""
        self._user_map_file = user_map_file
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
            self._prices,
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
        ) as messenger:
            plan = messenger.prepare() if dms else DmPlan()
            admin_channel, thread, named = self._channel, None, NOBODY
            if post:
                try:
                    admin_channel, thread, named = self._post(report, plan)
                except SlackDeliveryError:
                    if dms:  # a cancel happened whatever the channel: its owner is still told
                        messenger.send(plan.only("cancelled"), self._channel)
                    raise
            else:
                log.info("report.skipped", target=self.target, reason="nothing new")
            if dms:
                failed = messenger.send(plan, admin_channel)
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
                content=csv_text(report, extra),
                filename=f"copilot-seats-{report.at:%Y-%m-%d}.csv",
                title=f"Copilot seats {report.at:%Y-%m-%d}: every listed seat",
                comment="The full lists of this report.",
            )
        except SlackDeliveryError as exc:
            not_named = len(everyone_flagged(report) - rendered.named)
            log.warning("report.attachment_failed", error=str(exc), not_named=not_named)
            log.info("report.full", report=render_text(report))
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


def make_notifier(settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> Notifier:
    """Choose the delivery the settings ask for: bot token, then webhook, else the log."""
    prices = Prices(settings.price_business, settings.price_enterprise)
    if settings.slack_bot_token is not None and settings.slack_channel:
        return BotNotifier(
            settings.slack_bot_token.get_secret_value(),
            settings.slack_channel,
            settings.slack_api_url,
            report_mode=settings.slack_report,
            prices=prices,
            direct_messages=settings.slack_dm,
            state_url=settings.state_url,
            user_map_file=settings.user_map_file,
            answers=settings.slack_app_token is not None,
            sleep=sleep,
        )
    if settings.slack_webhook_url is not None:
        return WebhookNotifier(
            settings.slack_webhook_url.get_secret_value(),
            report_mode=settings.slack_report,
            prices=prices,
            sleep=sleep,
        )
    return LogNotifier()
