"""Billing-cycle timing: on which scheduled run a due person is cancelled. Pure, no clock.

GitHub bills a cancelled seat to the end of the billing cycle (the seat's
``pending_cancellation_date`` is the first day of the next cycle), so cancelling a person on
the last scheduled run before the cycle ends saves exactly what cancelling them the day their
grace ended saves, and gives them weeks more to come back. With ``REAPER_CANCEL_TIMING=cycle_end``
a due person is cancelled on the last run whose UTC date is at least ``margin`` days before
the next cycle date; everything here takes dates as arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

SAVES = "the last run that still saves the next month's charge"


@dataclass(frozen=True, slots=True)
class Timing:
    """When a due person is cancelled: ``on`` (a UTC date), and why that day."""

    on: date
    reason: str

    def now(self, today: date) -> bool:
        """Tell whether the cancel happens on this run (``today`` is the run's UTC date)."""
        return self.on <= today


def add_months(day: date, months: int = 1) -> date:
    """The same day ``months`` later, or the month's last day when it has fewer days."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    after = date(year + (month == 11), (month + 1) % 12 + 1, 1)  # the month after that one
    last = (after - timedelta(days=1)).day
    return date(year, month + 1, min(day.day, last))


def roll_forward(cycle: date, after: date) -> date:
    """The cycle date moved forward a month at a time until it lies after ``after``."""
    months = 0
    while add_months(cycle, months) <= after:
        months += 1
    return add_months(cycle, months)


def from_cycle_day(day: int, today: date) -> date:
    """The next date after ``today`` that falls on billing-cycle day ``day`` (1 to 28)."""
    return roll_forward(date(today.year, today.month, day), today)


def parse_cycle_date(text: str | None) -> date | None:
    """A seat's ``pending_cancellation_date`` (``YYYY-MM-DD``) as a date, or ``None``."""
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def next_cycle(
    learnt: Iterable[date], stored: date | None, cycle_day: int | None, today: date
) -> date | None:
    """A scope's next cycle date: the setting wins, else what seats showed, else the store's.

    Dates in the past are moved forward a month at a time; ``None`` when nothing is known.
    """
    if cycle_day is not None:
        return from_cycle_day(cycle_day, today)
    dates = [*learnt] or ([stored] if stored is not None else [])
    if not dates:
        return None
    return min(roll_forward(d, today) for d in dates)


def cancel_on(
    due: date, today: date, run_days: Iterable[date], cycle: date | None, margin: int
) -> Timing:
    """The run a person due on ``due`` is cancelled on, with ``run_days`` the schedule's dates.

    ``run_days`` are the UTC dates on which the schedule fires from ``today`` on. The person
    goes on the last of them at least ``margin`` days before the cycle date that follows the
    due date. With no cycle date known, or no run left before that margin (the person fell
    due inside it), they go when due: waiting for the next cycle would cost a month.
    """
    start = max(due, today)
    days = sorted(d for d in run_days if d >= start)
    first = days[0] if days else start
    if cycle is None:
        return Timing(first, "no billing-cycle date known: cancelled when due")
    ends = roll_forward(cycle, start)
    deadline = ends - timedelta(days=margin)
    before = [d for d in days if d <= deadline]
    if not before:
        return Timing(
            first,
            f"due inside the {margin}-day margin before the cycle date {ends}: cancelled when due",
        )
    return Timing(before[-1], f"cancels on {before[-1].isoformat()}, {SAVES}")
