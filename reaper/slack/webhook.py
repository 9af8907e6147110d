"""Delivering the report through a Slack incoming webhook: the main message, then the rest.

The main message is posted first; the lines it left out follow in continuation messages
(``reaper.slack.continued``). A failed continuation is logged and its users are not named;
the others are still tried, unless two fail in a row (Slack is then taken to be down and the
rest are not tried, so a cycle never waits out the timeouts of every part).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from reaper.errors import SlackDeliveryError
from reaper.logs import get_logger
from reaper.report.summary import Prices
from reaper.report.text import render_text
from reaper.slack.blocks import WEBHOOK_FULL_LIST, Rendered, ReportStyle, render_report
from reaper.slack.continued import render_continuations
from reaper.slack.notifier import NOBODY, should_post
from reaper.slack.transport import send_webhook, webhook_client

if TYPE_CHECKING:
    from collections.abc import Callable

    from reaper.report.model import CycleReport
    from reaper.slack.notifier import Named, ReportMode

log = get_logger(__name__)

MAX_FAILURES_IN_A_ROW = 2  # continuation messages: then Slack is taken to be down


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
        self.prices = prices or Prices()

    def render(self, report: CycleReport) -> Rendered:
        """The message this notifier would post."""
        return render_report(report, ReportStyle(self.prices, WEBHOOK_FULL_LIST))

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
        log.info("report.full", report=render_text(report, self.prices))
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
