"""The orchestrator: one cycle reads top to bottom.

take the store's lock → reconcile open cancel intents → plan every org (preflight → scan →
decide → verify what would be forgotten) → check the blast-radius limits → act (the one
dry-run gate) → remember → report → start the grace periods of the flags the report named.

Crash safety follows from the order of writes: a cancel is only ever sent for a flag that
was stored, and named in a delivered report, at least the grace period earlier; its intent
is stored before the request and reconciled by the next cycle when the process dies before
the outcome is recorded; and a cancelled seat shows up as pending afterwards, so it is
never cancelled twice. A cycle that fails in any way is still reported.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from structlog.contextvars import bound_contextvars

from reaper.core.domain import (
    Action,
    Decision,
    Flag,
    Seat,
    enterprise_scope,
    is_enterprise,
    scope_label,
)
from reaper.core.policy import DAY, blast_radius
from reaper.cycle.act import cancel_due
from reaper.cycle.cancel import Canceller
from reaper.cycle.plan import Plan, Planner
from reaper.cycle.reconcile import reconcile
from reaper.errors import ReaperError, SlackDeliveryError, StateStoreError
from reaper.logs import get_logger
from reaper.report import CycleReport, Entry, OrgReport, render_text
from reaper.store import AuditEntry

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from reaper.core.policy import Policy
    from reaper.github import GitHubClient
    from reaper.slack import Notifier
    from reaper.store import SqlStore

log = get_logger(__name__)

# A flag is dropped for these; the report lists only the reactivated ones.
_DROPS_FLAG = {Action.UNFLAG, Action.FORGET, Action.PENDING, Action.EXEMPT}
# A flag is neither dropped nor moved for these.
_KEEPS_FLAG_AS_IS = {Action.CANCEL, Action.WAITING}


@dataclass(frozen=True, slots=True)
class CycleOutcome:
    """A finished cycle: its report, whether it reached its target, and why not.

    ``skipped`` means another reaper held the lock and this one did nothing at all;
    ``error`` names what stopped the cycle early (store down, unexpected error).
    """

    report: CycleReport
    delivered: bool
    delivery_error: str | None = None
    skipped: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Tell whether every org completed and the report was delivered."""
        return self.delivered and not self.report.failed and self.error is None


@dataclass
class Cycle:
    """Everything one cycle needs, injected: adapters, settings and the clock.

    ``open_store`` is called once per run, inside the cycle, so a store that is down is
    reported like any other failure. ``exclusive`` takes the store's lock (``reaper report``,
    which writes and posts nothing, runs without it).
    """

    github: GitHubClient
    open_store: Callable[[], SqlStore]
    notifier: Notifier
    policy: Policy
    orgs: list[str]
    dry_run: bool
    clock: Callable[[], datetime]
    enterprise: str | None = None
    token: str = ""
    rate_limit_reserve: int = 0
    max_cancellations: int = 50
    max_cancellation_percent: float = 10.0
    max_forget_percent: float = 20.0
    timeout: float = 3600.0
    holder: str = "reaper"
    exclusive: bool = True
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    _store: SqlStore | None = field(init=False, default=None)
    _deadline: float = field(init=False, default=0.0)
    _outcome: CycleOutcome | None = field(init=False, default=None)

    @property
    def scopes(self) -> list[str]:
        """The report's sections: every configured org, then the enterprise."""
        extra = [enterprise_scope(self.enterprise)] if self.enterprise else []
        return [*self.orgs, *extra]

    @property
    def store(self) -> SqlStore:
        """The store opened for this run."""
        assert self._store is not None, "the store is opened by run()"
        return self._store

    def run(self) -> CycleOutcome:
        """Run one cycle over every org under the lock, and report it whatever happens."""
        now = self.clock()
        self._deadline = self.monotonic() + self.timeout
        self.github.set_deadline(self._deadline)
        reports = {key: OrgReport(key) for key in self.scopes}
        with bound_contextvars(dry_run=self.dry_run):
            log.info("cycle.started", orgs=self.orgs, enterprise=self.enterprise)
            try:
                self._store = self.open_store()
                try:
                    return self._exclusively(now, reports)
                finally:
                    self._store.close()
            except ReaperError as exc:
                if self._outcome is not None:  # releasing the lock failed after the report
                    log.error("store.unlock_failed", error=str(exc))
                    return self._outcome
                # the store is down or locked up: nothing was done, and the report says so
                return self._finish(now, reports, _failure(reports, exc))

    def _exclusively(self, now: datetime, reports: dict[str, OrgReport]) -> CycleOutcome:
        if not self.exclusive:
            return self._finish(now, reports, self._work(now, reports))
        with self.store.lock(self.holder) as held:
            if not held:
                log.warning("cycle.skipped", reason="another reaper holds the lock")
                return CycleOutcome(CycleReport(now, self.dry_run), delivered=False, skipped=True)
            return self._finish(now, reports, self._work(now, reports))

    def _work(self, now: datetime, reports: dict[str, OrgReport]) -> str | None:
        """Reconcile, plan, limit, act and remember; return what stopped it early, if anything."""
        try:
            if not self.dry_run:
                reconcile(self.github, self.store, now, reports)
            plan = self._plan(now, reports)
            self._check_limits(plan, now)
            self._carry_out(plan, now)
        except ReaperError as exc:
            return _failure(reports, exc)
        except Exception as exc:  # noqa: BLE001  (whatever happened, the report still goes out)
            log.error("cycle.crashed", error=type(exc).__name__, detail=str(exc)[:300])
            return _failure(reports, exc)
        return None

    def _overdue(self, result: OrgReport) -> bool:
        if self.monotonic() < self._deadline:
            return False
        result.fail(
            f"the cycle ran past REAPER_CYCLE_TIMEOUT_SECONDS={self.timeout:g}: "
            "nothing more was done in this org"
        )
        return True

    # -- plan ---------------------------------------------------------------------------

    def _plan(self, now: datetime, reports: dict[str, OrgReport]) -> Plan:
        planner = Planner(
            self.github,
            self.store,
            self.policy,
            self.orgs,
            self.enterprise,
            self.token,
            self.max_forget_percent,
            self._overdue,
            self.sleep,
        )
        plan = planner.plan(now, reports)
        self._write(audit=plan.audit)
        return plan

    def _check_limits(self, plan: Plan, now: datetime) -> None:
        """Past the blast-radius limits, the whole cycle cancels nothing."""
        cancels = plan.cancels()
        counts: dict[str, tuple[int, int]] = {}
        for scope in dict.fromkeys(g.org for d in cancels for g in _live(d)):
            if is_enterprise(scope):  # everyone read is a person of the enterprise
                counts[scope_label(scope)] = (len(cancels), len(plan.decisions))
                continue
            held = sum(1 for d in plan.decisions if any(g.org == scope for g in _live(d)))
            going = sum(1 for d in cancels if any(g.org == scope for g in _live(d)))
            counts[scope_label(scope)] = (going, held)
        breach = blast_radius(
            counts,
            max_total=self.max_cancellations,
            max_percent=self.max_cancellation_percent,
            total=len(cancels),
        )
        if breach is None:
            return
        log.error("cycle.blast_radius_exceeded", detail=breach)
        message = f"blast-radius limit: {breach}"
        for section in dict.fromkeys(d.org for d in cancels):
            plan.reports[section].fail(message, hold="blast_radius")
            message = "cancellations held by the blast-radius limit (see above)"
            self._write(audit=[AuditEntry(now, section, None, "cancel.held", breach)])
        plan.hold_cancels("held by the blast-radius limit")

    # -- act and remember -----------------------------------------------------------------

    def _carry_out(self, plan: Plan, now: datetime) -> None:
        if plan.cancels() and any(self._overdue(plan.reports[d.org]) for d in plan.cancels()):
            plan.hold_cancels("the cycle ran out of time")
        elif not self.dry_run:  # the one dry-run gate for actions
            canceller = Canceller(
                self.github, self.policy, self.clock, self.sleep, self.rate_limit_reserve
            )
            cancel_due(plan, canceller, self.store, self.clock)
        by_section: dict[str, list[Decision]] = {key: [] for key in plan.reports}
        for d in plan.decisions:
            by_section.setdefault(d.org, []).append(d)
        for key, decisions in by_section.items():
            if key in plan.scans or decisions:
                plan.reports.setdefault(key, OrgReport(key))
                plan.reports[key].tally(decisions, bad_seats=plan.bad_seats(key))
                self._list(decisions, plan.reports[key])
        try:
            self._remember(plan.decisions, now, plan)
        except StateStoreError as exc:
            log.error("org.not_remembered", error=str(exc))
            for result in plan.reports.values():
                result.fail(f"the state store failed, this cycle's changes were not saved: {exc}")

    def _remember(self, decisions: list[Decision], now: datetime, plan: Plan) -> None:
        """Store new flags, drop obsolete ones, and write the audit log, in one transaction."""
        added, removed, audit = [], [], []
        flagged = "seat.would_flag" if self.dry_run else "seat.flagged"
        for d in decisions:
            org = d.org
            if d.action is Action.FLAG and d.person is not None:
                added.append(
                    Flag(org, d.login, now, self.policy.reference_at(d.person), None, None)
                )
                audit.append(AuditEntry(now, org, d.login, "seat.flagged", d.reason))
                log.info(flagged, org=org, login=d.login, idle_days=d.idle_days)
            elif d.action in _DROPS_FLAG and d.flag is not None:
                removed.append(d.flag)
                event = "seat.reactivated" if d.action is Action.UNFLAG else "flag.dropped"
                audit.append(AuditEntry(now, org, d.login, event, d.reason))
                log.info(event, org=org, login=d.login, reason=d.reason)
            elif d.flag is not None and d.flag.org != org and d.action not in _KEEPS_FLAG_AS_IS:
                removed.append(d.flag)  # the person is reported elsewhere now: the flag follows
                added.append(replace(d.flag, org=org))
            if d.action is Action.CANCEL and self.dry_run:
                log.info("seat.would_cancel", org=org, login=d.login, idle_days=d.idle_days)
            elif d.action is Action.NEEDS_PERSON:
                teams = d.person.teams if d.person else ()
                log.info("seat.needs_person", org=org, login=d.login, teams=list(teams))
            elif d.action is Action.WAITING:
                log.info("seat.waiting", org=org, login=d.login, reason=d.reason)
        scans = [(key, scan.records, now) for key, scan in plan.scans.items()]
        held, not_held = plan.held_changes
        self._write(
            add=added, remove=removed, audit=audit, scans=scans, held=held, not_held=not_held
        )

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
            elif d.action is Action.WAITING:
                result.waiting.append(Entry.of(d))

    def _write(
        self,
        *,
        add: list[Flag] | None = None,
        remove: list[Flag] | None = None,
        audit: list[AuditEntry] | None = None,
        scans: list[tuple[str, int, datetime]] | None = None,
        held: list[tuple[str, str]] | None = None,
        not_held: list[tuple[str, str]] | None = None,
    ) -> None:
        """The dry-run gate for state: a dry run writes nothing at all."""
        if not self.dry_run:
            self.store.commit(
                add=add or [],
                remove=remove or [],
                audit=audit or [],
                scans=scans or [],
                held=held or [],
                not_held=not_held or [],
            )

    # -- report ---------------------------------------------------------------------------

    def _finish(
        self, now: datetime, reports: dict[str, OrgReport], error: str | None
    ) -> CycleOutcome:
        report = CycleReport(at=now, dry_run=self.dry_run, orgs=list(reports.values()))
        outcome = self._outcome = self._deliver(report, error)
        log.info(
            "cycle.completed",
            ok=outcome.ok,
            delivered=outcome.delivered,
            error=error,
            failed_orgs=[org.org for org in report.orgs if org.failed],
            **report.totals.as_dict(),
        )
        return outcome

    def _deliver(self, report: CycleReport, error: str | None) -> CycleOutcome:
        try:
            named = self.notifier.deliver(report)
        except SlackDeliveryError as exc:
            log.error(
                "report.delivery_failed",
                target=self.notifier.target,
                error=str(exc),
                report=render_text(report),
            )
            return CycleOutcome(report, delivered=False, delivery_error=str(exc), error=error)
        log.info("report.delivered", target=self.notifier.target, named=len(named))
        if not self.dry_run and named and self._store is not None:
            try:
                self.store.mark_warned(sorted(named), self.clock(), self.policy.grace_days * DAY)
            except StateStoreError as exc:  # unwarned flags are named again next cycle
                log.error("flag.warn_not_saved", error=str(exc))
                error = error or str(exc)
        return CycleOutcome(report, delivered=True, error=error)


def _failure(reports: dict[str, OrgReport], exc: BaseException) -> str:
    """Mark every org failed with what stopped the cycle, for the report; return the message."""
    what = exc if isinstance(exc, ReaperError) else type(exc).__name__
    message = f"the cycle stopped early: {what}"
    log.error("cycle.failed", error=message)
    for report in reports.values():
        report.fail(message)
    return message


def _live(d: Decision) -> tuple[Seat, ...]:
    return d.person.live if d.person is not None else ()
