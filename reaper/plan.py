"""Planning one org: preflight → scan → decide → check what would be forgotten. Acts on nothing.

The plan carries the audit entries it wants written; the orchestrator writes them (or not,
in a dry run), so the one dry-run gate stays in ``reaper.cycle``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reaper.cancel import keep
from reaper.domain import Action, Decision, Flag
from reaper.errors import GitHubError
from reaper.github import scan_org
from reaper.github.preflight import preflight
from reaper.logs import get_logger
from reaper.policy import decide_org, forget_breach
from reaper.store import AuditEntry

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from reaper.github import GitHubClient
    from reaper.policy import Policy
    from reaper.report import OrgReport
    from reaper.store import SqlStore

log = get_logger(__name__)


@dataclass
class OrgPlan:
    """One org's decisions before anything is done; ``decisions`` None when it was not read."""

    report: OrgReport
    decisions: list[Decision] | None = None
    seats: int = 0
    bad_seats: int = 0
    audit: list[AuditEntry] = field(default_factory=list)

    def cancels(self) -> int:
        """How many seats this plan would cancel."""
        return sum(1 for d in self.decisions or () if d.action is Action.CANCEL)

    def hold_cancels(self, reason: str) -> None:
        """Keep every due seat flagged instead of cancelling it."""
        if self.decisions is not None:
            self.decisions = [
                keep(d, reason) if d.action is Action.CANCEL else d for d in self.decisions
            ]


@dataclass(frozen=True, slots=True)
class Planner:
    """Reads one org and decides, without changing anything anywhere."""

    github: GitHubClient
    store: SqlStore
    policy: Policy
    max_forget_percent: float
    sleep: Callable[[float], None] = time.sleep

    def plan(self, org: str, now: datetime, result: OrgReport) -> OrgPlan:
        """Preflight, scan and decide for one org; ``decisions`` stays None when unsure."""
        plan = OrgPlan(result)
        status = preflight(self.github, org)
        if status.problem is not None:
            log.error("org.preflight_failed", org=org, problem=status.problem)
            result.fail(status.problem)
            return plan
        scan = scan_org(self.github, org, sleep=self.sleep)
        for bad in scan.bad:
            log.warning("seat.unreadable", org=org, login=bad.login, reason=bad.reason)
            result.note_error(
                f"skipped an unreadable seat ({bad.login or 'no login'}): {bad.reason}"
            )
        if not scan.complete:
            return _incomplete(plan, now, scan.error or "")
        log.info("org.scanned", org=org, seats=len(scan.seats), reads=scan.attempts)
        flags = self.store.load_flags(org)
        unreadable = [bad.login for bad in scan.bad if bad.login]
        decisions = decide_org(scan.seats, flags, now, self.policy, unreadable_logins=unreadable)
        plan.seats, plan.bad_seats = len(scan.seats) + len(scan.bad), len(scan.bad)
        problem = self._check_forgets(org, plan.seats, flags, decisions)
        if problem is not None:
            return _incomplete(plan, now, problem)
        plan.decisions = decisions
        if status.no_cancel is not None and plan.cancels():
            log.warning("org.cancellations_disabled", org=org, reason=status.no_cancel)
            result.note_error(status.no_cancel)
            plan.hold_cancels("seats of this org cannot be cancelled per user")
        return plan

    def _check_forgets(
        self, org: str, seats: int, flags: dict[str, Flag], decisions: list[Decision]
    ) -> str | None:
        """A flag is only forgotten for a checked reason: bound mass forgetting, re-read each."""
        forgets = [d for d in decisions if d.action is Action.FORGET]
        last = self.store.last_scan(org)
        breach = forget_breach(
            org,
            previous_seats=last[0] if last else None,
            seats=seats,
            flags=len(flags),
            forgets=len(forgets),
            max_percent=self.max_forget_percent,
        )
        if breach is not None:
            log.error("org.forget_held", org=org, detail=breach)
            return f"held by the forget limit: {breach}"
        for d in forgets:
            try:
                record = self.github.get_seat(org, d.login)
            except GitHubError as exc:
                return f"could not re-read {d.login}, missing from the list: {exc}"
            if record is not None:
                log.error("org.list_inconsistent", org=org, login=d.login)
                return f"{d.login} is missing from the seat list, but GitHub still has the seat"
        return None


def _incomplete(plan: OrgPlan, now: datetime, error: str) -> OrgPlan:
    org = plan.report.org
    log.error("org.scan_incomplete", org=org, error=error)
    plan.report.fail(f"seat list could not be read completely, nothing done: {error}")
    plan.audit.append(AuditEntry(now, org, None, "scan.incomplete", error))
    return plan
