"""The report's lists: each section of a planned cycle tallied, and its persons listed.

After the act step, every section that was scanned or holds a decision gets its totals
(``OrgReport.tally``) and its lists: flagged (with the date the seat goes), in grace,
cancelled, reactivated, needing a person, waiting. Nothing here reads or writes anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reaper.core.domain import Action
from reaper.core.policy import DAY
from reaper.report import Entry, OrgReport

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from reaper.core.domain import Decision
    from reaper.core.policy import Policy
    from reaper.cycle.plan import Plan


def list_plan(plan: Plan, policy: Policy, clock: Callable[[], datetime]) -> None:
    """Tally and list the decisions of every section of the plan, in its reports."""
    by_section: dict[str, list[Decision]] = {key: [] for key in plan.reports}
    for d in plan.decisions:
        by_section.setdefault(d.org, []).append(d)
    for key, decisions in by_section.items():
        if key in plan.scans or decisions:
            plan.reports.setdefault(key, OrgReport(key))
            plan.reports[key].tally(decisions, bad_seats=plan.bad_seats(key))
            list_decisions(decisions, plan.reports[key], policy, clock)


def list_decisions(
    decisions: list[Decision], result: OrgReport, policy: Policy, clock: Callable[[], datetime]
) -> None:
    """List one section's decisions under their headings, and keep their idle days."""
    result.idle_days = [
        d.idle_days for d in decisions if d.idle_days is not None and d.action is not Action.PENDING
    ]
    for d in decisions:
        if d.action is Action.FLAG or (
            d.action is Action.IN_GRACE and d.flag is not None and d.flag.warned_at is None
        ):
            due = d.due_at or clock() + policy.grace_days * DAY
            result.flagged.append(Entry.of(d, due_at=due))
        elif d.action is Action.IN_GRACE:
            result.in_grace.append(Entry.of(d))
        elif d.action is Action.CANCEL:
            result.cancelled.append(Entry.of(d))
        elif d.action is Action.UNFLAG:
            result.reactivated.append(Entry.of(d))
        elif d.action is Action.NEEDS_PERSON:
            result.needs_person.append(Entry.of(d))
        elif d.action is Action.WAITING:
            result.waiting.append(Entry.of(d))
