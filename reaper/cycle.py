"""The orchestrator: one cycle reads top to bottom.

plan every org (preflight → scan → decide) → check the blast-radius limits → act (the one
dry-run gate) → remember → report → start the grace periods of the flags just warned.

Crash safety follows from the order of writes: a cancel is only ever sent for a flag that
was stored, and warned about, at least the grace period earlier; its intent is written to
the audit log before the request; and a cancelled seat shows up as pending afterwards, so
it is never cancelled twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from reaper.cancel import Canceller, keep
from reaper.domain import Action, Decision, Flag, Seat
from reaper.errors import SlackDeliveryError
from reaper.github import scan_org
from reaper.github.preflight import preflight
from reaper.logs import get_logger
from reaper.policy import DAY, blast_radius, decide_org
from reaper.report import CycleReport, Entry, OrgReport, render_text
from reaper.store import AuditEntry

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from reaper.github import GitHubClient
    from reaper.policy import Policy
    from reaper.slack import Notifier
    from reaper.store import SqlStore

log = get_logger(__name__)

# A flag is dropped for these; the report lists only the reactivated ones.
_DROPS_FLAG = {Action.UNFLAG, Action.FORGET, Action.PENDING, Action.EXEMPT}


@dataclass(frozen=True, slots=True)
class CycleOutcome:
    """A finished cycle: its report and whether the report reached its target."""

    report: CycleReport
    delivered: bool
    delivery_error: str | None = None

    @property
    def ok(self) -> bool:
        """Tell whether every org completed and the report was delivered."""
        return self.delivered and not self.report.failed


@dataclass
class OrgPlan:
    """One org's decisions before anything is done; ``decisions`` None when it was not read."""

    report: OrgReport
    decisions: list[Decision] | None = None
    seats: int = 0
    bad_seats: int = 0

    def cancels(self) -> int:
        """How many seats this plan would cancel."""
        return sum(1 for d in self.decisions or () if d.action is Action.CANCEL)

    def hold_cancels(self, reason: str) -> None:
        """Keep every due seat flagged instead of cancelling it."""
        if self.decisions is not None:
            self.decisions = [
                keep(d, reason) if d.action is Action.CANCEL else d for d in self.decisions
            ]


@dataclass
class Cycle:
    """Everything one cycle needs, injected: adapters, settings and the clock."""

    github: GitHubClient
    store: SqlStore
    notifier: Notifier
    policy: Policy
    orgs: list[str]
    dry_run: bool
    clock: Callable[[], datetime]
    max_cancellations: int = 50
    max_cancellation_percent: float = 10.0
    _canceller: Canceller = field(init=False)

    def __post_init__(self) -> None:
        self._canceller = Canceller(self.github, self.store, self.policy, self.clock)

    def run(self) -> CycleOutcome:
        """Run one cycle over every org, report it, and start the warned flags' grace periods."""
        now = self.clock()
        log.info("cycle.started", orgs=self.orgs, dry_run=self.dry_run)
        plans = [self._plan(org, now) for org in self.orgs]
        self._check_limits(plans, now)
        for plan in plans:
            self._carry_out(plan, now)
        report = CycleReport(at=now, dry_run=self.dry_run, orgs=[plan.report for plan in plans])
        outcome = self._deliver(report)
        log.info(
            "cycle.completed",
            dry_run=self.dry_run,
            ok=outcome.ok,
            delivered=outcome.delivered,
            failed_orgs=[org.org for org in report.orgs if org.failed],
            **report.totals.as_dict(),
        )
        return outcome

    # -- plan ---------------------------------------------------------------------------

    def _plan(self, org: str, now: datetime) -> OrgPlan:
        """Preflight, scan and decide for one org, touching nothing."""
        plan = OrgPlan(OrgReport(org))
        result = plan.report
        status = preflight(self.github, org)
        if status.problem is not None:
            log.error("org.preflight_failed", org=org, problem=status.problem)
            result.fail(status.problem)
            return plan
        scan = scan_org(self.github, org)
        for bad in scan.bad:
            log.warning("seat.unreadable", org=org, login=bad.login, reason=bad.reason)
            result.note_error(
                f"skipped an unreadable seat ({bad.login or 'no login'}): {bad.reason}"
            )
        if not scan.complete:
            log.error("org.scan_incomplete", org=org, error=scan.error)
            result.fail(f"seat list could not be read completely, nothing done: {scan.error}")
            self._write(audit=[AuditEntry(now, org, None, "scan.incomplete", scan.error or "")])
            return plan
        log.info("org.scanned", org=org, seats=len(scan.seats), unreadable=len(scan.bad))
        flags = self.store.load_flags(org)
        unreadable = [bad.login for bad in scan.bad if bad.login]
        plan.decisions = decide_org(
            scan.seats, flags, now, self.policy, unreadable_logins=unreadable
        )
        plan.seats, plan.bad_seats = len(scan.seats) + len(scan.bad), len(scan.bad)
        if status.no_cancel is not None and plan.cancels():
            log.warning("org.cancellations_disabled", org=org, reason=status.no_cancel)
            result.note_error(status.no_cancel)
            plan.hold_cancels("seats of this org cannot be cancelled per user")
        return plan

    def _check_limits(self, plans: list[OrgPlan], now: datetime) -> None:
        """Past the blast-radius limits, the whole cycle cancels nothing."""
        breach = blast_radius(
            {plan.report.org: (plan.cancels(), plan.seats) for plan in plans},
            max_total=self.max_cancellations,
            max_percent=self.max_cancellation_percent,
        )
        if breach is None:
            return
        log.error("cycle.blast_radius_exceeded", detail=breach)
        message = f"blast-radius limit: {breach}"
        for plan in (plan for plan in plans if plan.cancels()):
            plan.report.fail(message)
            message = "cancellations held by the blast-radius limit (see above)"
            self._write(audit=[AuditEntry(now, plan.report.org, None, "cancel.held", breach)])
            plan.hold_cancels("held by the blast-radius limit")

    # -- act and remember -----------------------------------------------------------------

    def _carry_out(self, plan: OrgPlan, now: datetime) -> None:
        if plan.decisions is None:
            return
        org, decisions = plan.report.org, plan.decisions
        if not self.dry_run:  # the one dry-run gate for actions
            decisions = self._canceller.run(org, decisions, plan.report)
        self._remember(org, decisions, now)
        plan.report.tally(decisions, bad_seats=plan.bad_seats)
        self._list(decisions, plan.report)

    def _remember(self, org: str, decisions: list[Decision], now: datetime) -> None:
        """Store new flags, drop obsolete ones, and write the audit log, in one transaction."""
        added, removed, audit = [], [], []
        for d in decisions:
            if d.action is Action.FLAG and d.seat is not None:
                added.append(_new_flag(d.seat, now))
                audit.append(AuditEntry(now, org, d.login, "seat.flagged", d.reason))
                log.info("seat.flagged", org=org, login=d.login, idle_days=d.idle_days)
            elif d.action in _DROPS_FLAG and d.flag is not None:
                removed.append(d.flag)
                event = "seat.reactivated" if d.action is Action.UNFLAG else "flag.dropped"
                audit.append(AuditEntry(now, org, d.login, event, d.reason))
                log.info(event, org=org, login=d.login, reason=d.reason)
            elif d.action is Action.NEEDS_PERSON:
                team = d.seat.assigning_team if d.seat else None
                log.info("seat.needs_person", org=org, login=d.login, team=team)
        self._write(add=added, remove=removed, audit=audit)

    def _list(self, decisions: list[Decision], result: OrgReport) -> None:
        result.idle_days = [
            d.idle_days
            for d in decisions
            if d.idle_days is not None and d.action is not Action.PENDING
        ]
        for d in decisions:
            if d.action is Action.FLAG or (
                d.action is Action.IN_GRACE and d.flag is not None and d.flag.warned_at is None
            ):
                due = d.due_at or self.clock() + self.policy.grace_days * DAY
                result.flagged.append(replace(Entry.of(d), due_at=due))
            elif d.action is Action.IN_GRACE:
                result.in_grace.append(Entry.of(d))
            elif d.action is Action.CANCEL:
                result.cancelled.append(Entry.of(d))
            elif d.action is Action.UNFLAG:
                result.reactivated.append(Entry.of(d))
            elif d.action is Action.NEEDS_PERSON:
                result.needs_person.append(Entry.of(d))

    def _write(
        self,
        *,
        add: list[Flag] | None = None,
        remove: list[Flag] | None = None,
        audit: list[AuditEntry] | None = None,
    ) -> None:
        """The dry-run gate for state: a dry run writes nothing at all."""
        if not self.dry_run:
            self.store.commit(add=add or [], remove=remove or [], audit=audit or [])

    # -- report ---------------------------------------------------------------------------

    def _deliver(self, report: CycleReport) -> CycleOutcome:
        try:
            self.notifier.deliver(report)
        except SlackDeliveryError as exc:
            log.error(
                "report.delivery_failed",
                target=self.notifier.target,
                error=str(exc),
                report=render_text(report),
            )
            return CycleOutcome(report, delivered=False, delivery_error=str(exc))
        log.info("report.delivered", target=self.notifier.target)
        if not self.dry_run:
            warned = [(e.org, e.login) for e in report.entries("flagged")]
            self.store.mark_warned(warned, self.clock(), self.policy.grace_days * DAY)
        return CycleOutcome(report, delivered=True)


def _new_flag(seat: Seat, now: datetime) -> Flag:
    return Flag(seat.org, seat.login, now, seat.reference_at, warned_at=None, due_at=None)
