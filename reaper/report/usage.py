"""The usage report's lines in the cycle report: records that disagree, light use, and why not read.

Each is one note of the section it concerns (notes are rendered by every renderer), worded
here so Slack, the terminal and the log say the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reaper.core.domain import scope_label
from reaper.core.usage import DISAGREE
from reaper.report.summary import money

#: Light users named in the report's line; the rest are counted.
LIGHT_SHOWN = 20

if TYPE_CHECKING:
    from collections.abc import Iterable

    from reaper.core.usage import Disagreement, LightUse
    from reaper.report.summary import Prices


def disagree_line(found: Disagreement) -> str:
    """``records disagree: ann, seat record last used 2026-05-01, usage report 2026-06-02 ...``."""
    return (
        f"{DISAGREE}: {found.login}, the seat record's last use is {found.seat_day.isoformat()}, "
        f"the usage report shows use on {found.report_day.isoformat()}: not cancelled, flag "
        "dropped (reactivated)"
    )


def light_line(found: Iterable[LightUse], limit: int, prices: Prices) -> str | None:
    """One line listing a section's light users with their monthly spend, or ``None``."""
    users = list(found)
    if not users:
        return None
    named = ", ".join(
        f"{u.login} ({u.days} day{'s' if u.days != 1 else ''}, {money(prices.of(u.plan_type))}"
        " a month)"
        for u in users[:LIGHT_SHOWN]
    )
    if len(users) > LIGHT_SHOWN:
        named += f" and {len(users) - LIGHT_SHOWN} more"
    total = money(sum(prices.of(u.plan_type) for u in users))
    return (
        f"light use (active on at most {limit} of the usage report's 28 days; listed only, "
        f"never flagged for it): {named}; {len(users)} in all, {total} a month"
    )


def unavailable_line(scope: str, problem: str, *, require: bool, held: int) -> str:
    """What a section's report says when its usage report could not be read."""
    label = scope_label(scope)
    if require:
        return (
            f"usage report of {label} not fully read ({problem}): REAPER_USAGE_REPORT=require, so "
            f"{held} cancel{'s' if held != 1 else ''} there held for this cycle (flags kept)"
        )
    return (
        f"usage report of {label} not fully read ({problem}): the cycle goes on without the "
        "second opinion (REAPER_USAGE_REPORT=check)"
    )
