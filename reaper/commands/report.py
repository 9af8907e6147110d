"""``reaper report``: run a read-only cycle and print what would be sent. Nothing is posted.

Formats: ``table`` (for a terminal), ``slack`` (the JSON payloads the channel and the users
would get), ``csv`` (every listed seat), ``json`` (the whole report as data). Whatever the
format, the output is scrubbed of secrets before it is written.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from reaper.app import open_cycle, utc_now
from reaper.app.identities import preview_contacts
from reaper.redact import scrub, scrub_data
from reaper.report.export import csv_text, report_dict
from reaper.report.summary import Prices
from reaper.report.table import render_table
from reaper.slack.blocks import BOT_FULL_LIST, WEBHOOK_FULL_LIST, ReportStyle, render_report
from reaper.slack.bot import DRY_RUN_DM_NOTE
from reaper.slack.continued import render_continuations
from reaper.slack.dm_text import cancelled_message, flagged_message
from reaper.slack.notifier import should_post

if TYPE_CHECKING:
    from typing import TextIO

    from reaper.config.settings import Settings
    from reaper.report.model import CycleReport

EXIT_OK = 0
EXIT_FAILED = 1


class CapturingNotifier:
    """Keeps the report instead of delivering it."""

    target = "preview (nothing is sent)"

    def __init__(self, prices: Prices) -> None:
        self.report: CycleReport | None = None
        self.prices = prices

    def deliver(self, report: CycleReport) -> frozenset[tuple[str, str]]:
        """Keep the report; nothing is delivered, so nobody is named."""
        self.report = report
        return frozenset()


def slack_payloads(settings: Settings, report: CycleReport) -> dict[str, Any]:
    """What Slack would receive for this report with these settings."""
    prices = Prices(settings.price_business, settings.price_enterprise)
    bot = settings.slack_bot_token is not None
    notes = (DRY_RUN_DM_NOTE,) if bot and settings.slack_dm else ()
    style = ReportStyle(prices, BOT_FULL_LIST if bot else WEBHOOK_FULL_LIST, notes=notes)
    rendered = render_report(report, style)
    if bot:
        target = f"chat.postMessage to {settings.slack_channel}"
    elif settings.slack_webhook_url is not None:
        target = "incoming webhook"
    else:
        target = "log (Slack is not configured)"
    out: dict[str, Any] = {
        "target": target,
        "would_post": should_post(report, settings.slack_report),
        "messages": [rendered.payload]
        + ([] if bot else [part.payload for part in render_continuations(report, rendered.rest)]),
        "csv_attached_in_thread": bot and rendered.cut,
    }
    if bot and settings.slack_dm:
        admin = settings.slack_channel
        out["direct_messages_in_a_live_run"] = [
            {
                "event": "flagged",
                "org": e.org,
                "login": e.login,
                **flagged_message(e, report.at, admin),
            }
            for e in report.entries("flagged")
        ] + [
            {
                "event": "cancelled",
                "org": e.org,
                "login": e.login,
                **cancelled_message(e, report.at, admin),
            }
            for e in report.entries("cancelled")
        ]
    return out


def preview(settings: Settings, fmt: str, out: TextIO, *, with_emails: bool = False) -> int:
    """Run a read-only cycle and print its report in ``fmt``; 1 when an org was incomplete.

    CSV and JSON say, per person, how a direct message would reach them (addresses only
    ``with_emails``).
    """
    prices = Prices(settings.price_business, settings.price_enterprise)
    capture = CapturingNotifier(prices)
    with open_cycle(settings, notifier=capture, dry_run=True, exclusive=False) as cycle:
        outcome = cycle.run()
    report = capture.report or outcome.report
    contacts = preview_contacts(settings, report, utc_now) if fmt in {"csv", "json"} else {}
    if fmt == "csv":
        text = csv_text(report, (), contacts, with_emails=with_emails)
    elif fmt == "json":
        text = _json(report_dict(report, prices, contacts, with_emails=with_emails))
    elif fmt == "slack":
        text = _json(slack_payloads(settings, report))
    else:
        text = render_table(report, prices)
    out.write(scrub(text))  # error reasons may quote GitHub, which may echo a token
    out.flush()
    return EXIT_FAILED if report.failed else EXIT_OK


def _json(data: Any) -> str:
    """``data`` as indented JSON, every string in it scrubbed before it is encoded."""
    return json.dumps(scrub_data(data), indent=2, ensure_ascii=False) + "\n"
