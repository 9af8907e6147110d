"""The timing step: learn each scope's billing-cycle date, and move cancels to the cycle end.

Between planning and the blast-radius limits, this step learns each scope's next cycle date
(from any seat's ``pending_cancellation_date`` in the lists read, else the store, or from
``REAPER_BILLING_CYCLE_DAY``), stores it through ``Memory.write`` (nothing in a dry run), and,
with ``REAPER_CANCEL_TIMING=cycle_end``, keeps every due person whose cancel belongs to a
later run flagged, with the planned date. The decision itself is ``reaper.core.timing``'s;
the schedule's run dates come from the same cron trigger ``reaper run`` uses. The limits
then count only the cancels of this run, and the report is told a cycle ahead when the run
with the planned cancels will be held by them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING

from reaper.config.checks import cron_trigger
from reaper.core.domain import Action, Decision, scope_label
from reaper.core.limits import blast_radius
from reaper.core.policy import DAY, keep
from reaper.core.timing import SAVES, Timing, cancel_on, next_cycle, parse_cycle_date
from reaper.logs import get_logger

if TYPE_CHECKING:
    from datetime import date

    from reaper.core.policy import Policy
    from reaper.cycle.plan import Plan
    from reaper.cycle.remember import Memory

log = get_logger(__name__)

HORIZON_DAYS = 430  # the longest grace (365 days) and a cycle beyond it


@dataclass(frozen=True, slots=True)
class CycleTiming:
    """The settings of the timing step (``REAPER_CANCEL_TIMING`` and its companions)."""

    mode: str = "due"  # or "cycle_end"
    schedule: str = "0 9 * * 1-5"
    cycle_day: int | None = None
    margin: int = 2


@dataclass(frozen=True, slots=True)
class Limits:
    """The blast-radius limits, to warn a cycle ahead."""

    max_total: int
    max_percent: float


def run_days(schedule: str, now: datetime, days: int = HORIZON_DAYS) -> dict[date, datetime]:
    """The UTC dates the schedule fires on from ``now``'s date on, with each day's first run."""
    trigger = cron_trigger(schedule)
    start = datetime.combine(now.date(), time(0), UTC)
    end = start + timedelta(days=days)
    found: dict[date, datetime] = {}
    cursor = start
    while cursor < end:
        fire = trigger.get_next_fire_time(None, cursor)
        if fire is None or fire >= end:
            break
        found[fire.date()] = fire
        cursor = datetime.combine(fire.date() + DAY, time(0), UTC)
    return found


def learn_cycles(plan: Plan, timing: CycleTiming, memory: Memory, now: datetime) -> dict[str, date]:
    """Each scope's next cycle date (by scope key), stored when it was learnt or moved."""
    stored = memory.store.billing_cycles()
    today = now.date()
    cycles: dict[str, date] = {}
    changed: dict[str, date] = {}
    for key in dict.fromkeys([*plan.reports, *plan.scans]):
        scan = plan.scans.get(key)
        seen = [parse_cycle_date(s.pending_cancellation_date) for s in scan.seats] if scan else []
        learnt = [d for d in seen if d is not None]
        before = stored.get(key.casefold())
        found = next_cycle(learnt, before, timing.cycle_day, today)
        if found is None:
            continue
        cycles[key] = found
        if timing.cycle_day is None and found != before:
            changed[key] = found
            log.info("billing.cycle_learnt", scope=key, next_cycle=found.isoformat())
    memory.write(cycles=changed)
    return cycles


def time_cancels(
    plan: Plan,
    timing: CycleTiming,
    *,
    policy: Policy,
    limits: Limits,
    memory: Memory,
    now: datetime,
) -> dict[str, date]:
    """Learn the cycle dates and, with ``cycle_end``, keep the cancels of later runs waiting."""
    cycles = learn_cycles(plan, timing, memory, now)
    for key, day in cycles.items():
        if key in plan.reports:
            plan.reports[key].next_cycle = day
    if timing.mode != "cycle_end":
        return cycles
    runs = run_days(timing.schedule, now)
    today = now.date()
    unknown: set[str] = set()
    planned: dict[date, list[Decision]] = {}
    decisions = []
    for d in plan.decisions:
        due = _due(d, policy, now)
        if due is None:
            decisions.append(d)
            continue
        cycle = _cycle_of(d, plan, cycles)
        when = cancel_on(due.date(), today, runs, cycle, timing.margin)
        if cycle is None and d.action is Action.CANCEL:
            unknown.add(d.org)
        decisions.append(_timed(d, when, runs, today))
        if d.action is not Action.FLAG and not when.now(today):
            planned.setdefault(when.on, []).append(d)
    plan.decisions = decisions
    for section in sorted(unknown):
        log.warning("billing.cycle_unknown", org=section)
        plan.reports[section].notes.append(
            "REAPER_CANCEL_TIMING=cycle_end, but no billing-cycle date is known for "
            f"{scope_label(section)}: due persons are cancelled when due (set "
            "REAPER_BILLING_CYCLE_DAY, or it is learnt from a seat's pending cancellation)"
        )
    _warn_ahead(plan, planned, limits)
    return cycles


def say_waiting(plan: Plan, timing: CycleTiming, now: datetime) -> None:
    """One report line per section when due persons newly wait for the cycle end, and when.

    Newly: their grace ended after the schedule's previous run, so this is the first run
    that would have cancelled them. Said after the usage report's second opinion, so a
    person it keeps is not counted.
    """
    if timing.mode != "cycle_end":
        return
    today, schedule = now.date(), timing.schedule
    month_ago = datetime.combine(today - 31 * DAY, time(0), UTC)
    previous = max((d for d in run_days(schedule, month_ago, days=31) if d < today), default=None)
    waiting: dict[str, list[datetime]] = {}
    for d in plan.decisions:
        due = d.flag.due_at if d.flag is not None else None
        if d.action is not Action.IN_GRACE or not d.reason.endswith(SAVES) or due is None:
            continue
        if due.date() <= today and (previous is None or due.date() > previous):
            assert d.due_at is not None  # the planned date
            waiting.setdefault(d.org, []).append(d.due_at)
    for section, dates in waiting.items():
        plan.reports[section].notes.append(
            f"due persons now waiting for the cycle end: {len(dates)}; the first cancels on "
            f"{min(dates).date().isoformat()}, {SAVES}"
        )


def _due(d: Decision, policy: Policy, now: datetime) -> datetime | None:
    """When a person may be cancelled: due now, their due date, or a new flag's."""
    if d.action is Action.CANCEL:
        return now
    if d.action is Action.IN_GRACE and d.due_at is not None:
        return d.due_at
    if d.action is Action.FLAG:
        return d.due_at or now + policy.grace_days * DAY
    return None


def _cycle_of(d: Decision, plan: Plan, cycles: dict[str, date]) -> date | None:
    """The earliest cycle date of the lists that hold the person (cancelling then saves)."""
    key = d.login.casefold()
    dates = [
        day for scope, day in cycles.items() if scope in plan.scans and key in plan.members(scope)
    ]
    return min(dates, default=cycles.get(d.org))


def _timed(d: Decision, when: Timing, runs: dict[date, datetime], today: date) -> Decision:
    """The decision with its planned date; a cancel of a later run kept flagged until then."""
    on = runs.get(when.on) or datetime.combine(when.on, time(0), UTC)
    if d.action is Action.CANCEL:
        if when.now(today):
            return d
        log.info("seat.cancel_timed", org=d.org, login=d.login, on=when.on.isoformat())
        return replace(keep(d, when.reason), due_at=on)
    if when.reason.endswith(SAVES):
        return replace(d, due_at=on, reason=when.reason)
    return d


def _warn_ahead(plan: Plan, planned: dict[date, list[Decision]], limits: Limits) -> None:
    """Say a cycle ahead when the run with the next planned cancels will be held by the limits."""
    if not planned:
        return
    day = min(planned)
    going = planned[day]
    counts: dict[str, tuple[int, int]] = {}
    for section in dict.fromkeys(d.org for d in going):
        held = sum(1 for d in plan.decisions if d.org == section and d.person is not None)
        counts[scope_label(section)] = (sum(1 for d in going if d.org == section), held)
    breach = blast_radius(
        counts, max_total=limits.max_total, max_percent=limits.max_percent, total=len(going)
    )
    if breach is None:
        return
    log.warning("billing.cancels_will_be_held", on=day.isoformat(), detail=breach)
    for section in dict.fromkeys(d.org for d in going):
        plan.reports[section].notes.append(
            f"the run of {day.isoformat()} will be held by the blast-radius limit: {breach}"
        )
