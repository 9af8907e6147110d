"""The pure billing-cycle timing (reaper.core.timing): which run cancels a due person."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from reaper.core.timing import (
    SAVES,
    add_months,
    cancel_on,
    from_cycle_day,
    next_cycle,
    parse_cycle_date,
    roll_forward,
)


def weekdays(start: date, days: int) -> list[date]:
    """The dates of a weekday schedule (``0 9 * * 1-5``) from ``start`` on."""
    every = (start + timedelta(days=n) for n in range(days))
    return [d for d in every if d.weekday() < 5]


# (due, today, schedule, cycle date, margin, cancelled on, why)
Case = tuple[date, date, str, date | None, int, date, str]


def daily(start: date, days: int) -> list[date]:
    """The dates of a daily schedule from ``start`` on."""
    return [start + timedelta(days=n) for n in range(days)]


CASES: list[Case] = [
    # due on the 3rd, cycle on the 1st: the last run at least 2 days before, a Monday
    (date(2026, 6, 3), date(2026, 6, 3), "weekdays", date(2026, 7, 1), 2, date(2026, 6, 29), SAVES),
    # the same with a margin reaching the weekend: the Friday before
    (date(2026, 6, 3), date(2026, 6, 3), "weekdays", date(2026, 7, 1), 3, date(2026, 6, 26), SAVES),
    # a daily schedule goes on the very day of the margin
    (date(2026, 6, 3), date(2026, 6, 3), "daily", date(2026, 7, 1), 3, date(2026, 6, 28), SAVES),
    # a cycle date already passed is moved forward a month
    (date(2026, 6, 3), date(2026, 6, 3), "daily", date(2026, 5, 1), 2, date(2026, 6, 29), SAVES),
    # on the planned day itself: this run cancels
    (
        date(2026, 6, 3),
        date(2026, 6, 29),
        "weekdays",
        date(2026, 7, 1),
        2,
        date(2026, 6, 29),
        SAVES,
    ),
    # due inside the margin: waiting a cycle would cost a month, so cancelled when due
    (
        date(2026, 6, 30),
        date(2026, 6, 30),
        "daily",
        date(2026, 7, 1),
        2,
        date(2026, 6, 30),
        "margin",
    ),
    # no cycle date known: cancelled when due
    (date(2026, 6, 3), date(2026, 6, 3), "weekdays", None, 2, date(2026, 6, 3), "no billing-cycle"),
    # due on a Saturday with no date known: the next run, the Monday
    (date(2026, 6, 6), date(2026, 6, 5), "weekdays", None, 2, date(2026, 6, 8), "no billing-cycle"),
    # in grace, due after the cycle date: planned before the cycle after it
    (
        date(2026, 7, 3),
        date(2026, 6, 10),
        "weekdays",
        date(2026, 7, 1),
        2,
        date(2026, 7, 30),
        SAVES,
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_cancel_on(case: Case) -> None:
    """A due person goes on the last run at least the margin before the cycle date."""
    due, today, schedule, cycle, margin, on, why = case
    runs = (weekdays if schedule == "weekdays" else daily)(today, 90)
    timing = cancel_on(due, today, runs, cycle, margin)
    assert timing.on == on
    assert why in timing.reason
    assert timing.now(today) is (on <= today)


def test_the_reason_names_the_date() -> None:
    """The words the report and the direct message use carry the planned date."""
    timing = cancel_on(
        date(2026, 6, 3), date(2026, 6, 3), daily(date(2026, 6, 3), 60), date(2026, 7, 1), 2
    )
    assert timing.reason == f"cancels on 2026-06-29, {SAVES}"


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 3, 1), 0, date(2026, 3, 1)),
        (date(2024, 1, 30), 1, date(2024, 2, 29)),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    """A month later is the same day, or the month's last day when it is shorter."""
    assert add_months(day, months) == expected


def test_roll_forward_moves_a_passed_date_past_today() -> None:
    """A stored cycle date that has passed moves forward by whole months, past today."""
    assert roll_forward(date(2026, 1, 1), date(2026, 3, 1)) == date(2026, 4, 1)
    assert roll_forward(date(2026, 4, 1), date(2026, 3, 1)) == date(2026, 4, 1)


@pytest.mark.parametrize(
    ("day", "today", "expected"),
    [
        (1, date(2026, 6, 3), date(2026, 7, 1)),
        (10, date(2026, 6, 3), date(2026, 6, 10)),
        (3, date(2026, 6, 3), date(2026, 7, 3)),  # the cycle starts today: the next one
        (28, date(2026, 12, 29), date(2027, 1, 28)),
    ],
)
def test_from_cycle_day(day: int, today: date, expected: date) -> None:
    """REAPER_BILLING_CYCLE_DAY gives the next date after today on that day of the month."""
    assert from_cycle_day(day, today) == expected


def test_next_cycle_prefers_the_setting_then_seats_then_the_store() -> None:
    """The setting wins; else the seats' dates; else the stored one; else nothing known."""
    today = date(2026, 6, 3)
    seats = [date(2026, 7, 1)]
    assert next_cycle(seats, date(2026, 7, 9), 15, today) == date(2026, 6, 15)
    assert next_cycle(seats, date(2026, 7, 9), None, today) == date(2026, 7, 1)
    assert next_cycle([], date(2026, 5, 9), None, today) == date(2026, 6, 9)
    assert next_cycle([], None, None, today) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026-07-01", date(2026, 7, 1)), (None, None), ("", None), ("July", None)],
)
def test_parse_cycle_date(text: str | None, expected: date | None) -> None:
    """A seat's pending_cancellation_date reads as a date; anything else as unknown."""
    assert parse_cycle_date(text) == expected
