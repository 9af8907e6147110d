"""What delivers a cycle's report (``Notifier``), and the simplest delivery: the log.

``deliver`` returns the flagged users (org, login) that were *named* in what reached the
target (``Named``): only their grace periods start ("warned means named"). The log names
every flagged user. ``should_post`` tells the Slack deliveries whether to post at all
(``REAPER_SLACK_REPORT``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol

from reaper.logs import get_logger
from reaper.report.summary import Prices
from reaper.report.text import render_text

if TYPE_CHECKING:
    from reaper.report.model import CycleReport

log = get_logger(__name__)

ReportMode = Literal["changes", "always"]
Named = frozenset[tuple[str, str]]  # (org, login) of flagged entries named in what was delivered
NOBODY: Named = frozenset()


class Notifier(Protocol):
    """Something that delivers a cycle's report, or raises ``SlackDeliveryError``."""

    @property
    def target(self) -> str:
        """Where reports go, for logs and checklists (no secrets)."""
        ...

    @property
    def prices(self) -> Prices:
        """The seat prices the report is rendered with (``REAPER_PRICE_*``), wherever it goes."""
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

    def __init__(self, prices: Prices | None = None) -> None:
        self.prices = prices or Prices()

    def deliver(self, report: CycleReport) -> Named:
        """Log the whole report in one event: the log names every flagged user."""
        log.info("report.logged", report=render_text(report, self.prices))
        return everyone_flagged(report)
