"""The usage report's second opinion, and light use: pure rules over dates and day counts.

GitHub's 28-day users report says, per person and day, what they did with Copilot. A due
person whom it shows active on a day later than the activity their flag was made from, and
within ``REAPER_INACTIVE_DAYS`` of now, used Copilot that day, whatever the seat record says
(``last_activity_at`` is known to lag): they are not cancelled and their flag is dropped as
for anyone who comes back. When the report of a scope cannot be read and
``REAPER_USAGE_REPORT=require``, every cancel there is held. Light use (active on a few of
the 28 days) is only ever listed, never acted on.
No clock, no I/O: the dates and day counts arrive as arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from reaper.core.domain import Action, Decision
from reaper.core.policy import keep

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping
    from datetime import date

DISAGREE = "records disagree"
HELD = "held: the usage report could not be read"
REPORT_DAYS = 28


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A due person the usage report shows active after the seat record's last use."""

    org: str
    login: str
    seat_day: date  # the activity the flag was made from
    report_day: date  # the latest active day in the usage report


@dataclass(frozen=True, slots=True)
class LightUse:
    """A person holding a seat who was active on only a few days of the report's 28."""

    org: str
    login: str
    days: int
    plan_type: str | None


def overrule(
    decisions: Iterable[Decision],
    latest: Mapping[str, date],
    due: Collection[str],
    *,
    recent_from: date,
) -> tuple[list[Decision], list[Disagreement]]:
    """Drop the flag of every due person the report shows active after their flag's activity.

    ``latest`` maps case-folded logins to the latest day the report shows them active;
    ``due`` holds the case-folded logins of the due persons (cancelled this run, or waiting
    for the billing-cycle end). Only use on ``recent_from`` or later counts (now less
    ``REAPER_INACTIVE_DAYS``): a person whose latest use in the report is older than that is
    idle by the report too, and would otherwise be warned and kept again every grace period.
    """
    out: list[Decision] = []
    found: list[Disagreement] = []
    for d in decisions:
        day = latest.get(d.login.casefold())
        if d.login.casefold() not in due or d.flag is None or day is None:
            out.append(d)
            continue
        seat_day = d.flag.reference_at.date()
        if day <= seat_day or day < recent_from:
            out.append(d)
            continue
        found.append(Disagreement(d.org, d.login, seat_day, day))
        reason = (
            f"{DISAGREE}: the seat record's last use is {seat_day.isoformat()}, the usage "
            f"report shows use on {day.isoformat()}"
        )
        out.append(replace(d, action=Action.UNFLAG, reason=reason, due_at=None))
    return out, found


def hold(decisions: Iterable[Decision], why: Mapping[str, str]) -> list[Decision]:
    """Keep flagged every due person whose login ``why`` names (case-folded)."""
    out: list[Decision] = []
    for d in decisions:
        reason = why.get(d.login.casefold())
        if d.action is Action.CANCEL and reason is not None:
            out.append(keep(d, f"{HELD} ({reason})"))
        else:
            out.append(d)
    return out


def day_bit(day: date, start: date) -> int:
    """The bit of ``day`` in a 28-day mask starting on ``start``; 0 outside the window."""
    index = (day - start).days
    return 1 << index if 0 <= index < REPORT_DAYS else 0


def light_use(
    days: Mapping[str, int], holders: Mapping[str, tuple[str, str, str | None]], limit: int
) -> list[LightUse]:
    """Seat holders active on at least one and at most ``limit`` of the 28 days.

    ``days`` maps case-folded logins to a mask of active days (``day_bit``); ``holders`` maps
    case-folded logins to (scope, login, plan type). Persons with no active day are not
    listed: the seat record decides about them, as for everyone idle.
    """
    found = []
    for key, mask in days.items():
        count = mask.bit_count()
        if key in holders and 0 < count <= limit:
            org, login, plan = holders[key]
            found.append(LightUse(org, login, count, plan))
    return sorted(found, key=lambda u: (u.org, u.days, u.login.casefold()))
