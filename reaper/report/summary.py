"""Figures derived from a report: labelled counts, estimated savings, the idle-days histogram.

Shared by every renderer (Slack blocks, terminal table, text, JSON) so they always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from reaper.report.model import CycleReport, Entry

#: Histogram bins of idle days: (label, lowest day included, first day of the next bin).
BINS: tuple[tuple[str, int, int | None], ...] = (
    ("0-30", 0, 30),
    ("30-60", 30, 60),
    ("60-90", 60, 90),
    ("90+", 90, None),
)
BAR_WIDTH = 20

#: The lists of a report, in display order: (name in the model, title, title in a dry run).
LISTS: tuple[tuple[str, str, str], ...] = (
    ("flagged", "Newly flagged", "Would be flagged"),
    ("cancelled", "Cancelled", "Would be cancelled"),
    ("reactivated", "Reactivated", "Reactivated"),
    ("needs_person", "Needs a person", "Needs a person"),
)


@dataclass(frozen=True, slots=True)
class Prices:
    """Monthly price of one seat per Copilot plan; unknown plans are priced as Business."""

    business: float = 19.0
    enterprise: float = 39.0

    def of(self, plan_type: str | None) -> float:
        """The monthly price of one seat of this plan."""
        return self.enterprise if (plan_type or "").lower() == "enterprise" else self.business

    def total(self, entries: Iterable[Entry]) -> float:
        """The monthly price of all these seats."""
        return sum(self.of(entry.plan_type) for entry in entries)


@dataclass(frozen=True, slots=True)
class Savings:
    """Estimated monthly saving: seats cancelled this cycle, and seats due within their grace."""

    cancelled_seats: int
    cancelled: float
    due_seats: int
    due: float


def savings(report: CycleReport, prices: Prices) -> Savings:
    """Estimate the monthly saving of the seats cancelled now and of those flagged and waiting."""
    cancelled = report.entries("cancelled")
    due = report.entries("flagged") + report.entries("in_grace")
    return Savings(len(cancelled), prices.total(cancelled), len(due), prices.total(due))


def money(amount: float) -> str:
    """An amount in USD, without cents when it has none: ``USD 1,234``."""
    if amount == int(amount):
        return f"USD {int(amount):,}"
    return f"USD {amount:,.2f}"


def histogram(report: CycleReport) -> list[tuple[str, int]]:
    """How many seats have been idle for how long, across every org, bin by bin."""
    counts = dict.fromkeys((label for label, _, _ in BINS), 0)
    for days in (d for org in report.orgs for d in org.idle_days):
        for label, low, high in BINS:
            if days >= low and (high is None or days < high):
                counts[label] += 1
                break
    return list(counts.items())


def histogram_lines(report: CycleReport) -> list[str]:
    """The histogram as aligned text bars, e.g. ``30-60 days  ████        12``."""
    rows = histogram(report)
    top = max((count for _, count in rows), default=0)
    lines = []
    for label, count in rows:
        bar = "█" * (round(count * BAR_WIDTH / top) if top else 0)
        if count and not bar:
            bar = "▏"
        lines.append(f"{label + ' days':<10} {bar:<{BAR_WIDTH}} {count:>6,}")
    return lines


def count_items(report: CycleReport) -> list[tuple[str, int]]:
    """The totals as (label, value) pairs in display order, worded for the mode."""
    totals = report.totals
    return [
        ("seats", totals.seats),
        ("active", totals.active),
        ("inactive", totals.inactive),
        ("would be flagged" if report.dry_run else "newly flagged", totals.newly_flagged),
        ("in grace", totals.in_grace),
        ("would be cancelled" if report.dry_run else "cancelled", totals.cancelled),
        ("reactivated", totals.reactivated),
        ("exempt", totals.exempt),
        ("already pending", totals.already_pending),
        ("needing a person", totals.needs_person),
        ("errors", totals.errors),
    ]


def date(value: datetime | None) -> str:
    """A timestamp as an ISO date, or ``never``."""
    return value.date().isoformat() if value else "never"


def days_ago(value: datetime | None, now: datetime) -> str:
    """How long ago, in whole days: ``today``, ``1 day ago``, ``45 days ago``."""
    if value is None:
        return "no activity recorded"
    days = max(0, (now - value).days)
    if days == 0:
        return "today"
    return "1 day ago" if days == 1 else f"{days} days ago"


def last_active(entry: Entry, now: datetime) -> str:
    """The last activity as a date and how long ago: ``last active 2026-01-15, 45 days ago``."""
    if entry.last_activity_at is None:
        idle = f", idle {entry.idle_days} days" if entry.idle_days is not None else ""
        return f"never used{idle}"
    return f"last active {date(entry.last_activity_at)}, {days_ago(entry.last_activity_at, now)}"
