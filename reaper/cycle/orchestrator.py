"""The orchestrator: one cycle reads top to bottom.

take the store's lock → reconcile open cancel intents → plan every org (preflight → scan →
decide → verify what would be forgotten) → check the blast-radius limits → act (the one
dry-run gate) → remember → report → start the grace periods of the flags the report named.

``Cycle`` keeps that order and the one dry-run gate for actions (``Cycle._carry_out``); its
steps live beside it: ``plan`` reads and decides, ``act`` cancels, ``listing`` fills the
report's lists, ``remember`` holds every write to the store behind the dry-run gate for
state, and ``deliver`` sends the report and says how the cycle went (``CycleOutcome``).

Crash safety follows from the order of writes: a cancel is only ever sent for a flag that
was stored, and named in a delivered report, at least the grace period earlier; its intent
is stored before the request and reconciled by the next cycle when the process dies before
the outcome is recorded; and a cancelled seat shows up as pending afterwards, so it is
never cancelled twice. A cycle that fails in any way is still reported.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from structlog.contextvars import bound_contextvars

from reaper.core.domain import Decision, Seat, enterprise_scope, is_enterprise, scope_label
from reaper.core.limits import blast_radius
from reaper.cycle.act import cancel_due
from reaper.cycle.cancel import Canceller
from reaper.cycle.deliver import CycleOutcome, finish
from reaper.cycle.listing import list_plan
from reaper.cycle.plan import Plan, Planner
from reaper.cycle.reconcile import reconcile
from reaper.cycle.remember import Memory
from reaper.cycle.team_reads import TeamReads
from reaper.cycle.team_reconcile import reconcile_teams
from reaper.cycle.teams import TeamSettings, TeamVetter, preview, promote_all
from reaper.cycle.timing import CycleTiming, Limits, say_waiting, time_cancels
from reaper.cycle.usage import UsageCheck, second_opinion
from reaper.cycle.who_can import WhoCan
from reaper.errors import ReaperError, StateStoreError
from reaper.logs import get_logger
from reaper.report import CycleReport, OrgReport
from reaper.store import AuditEntry

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from reaper.core.policy import Policy
    from reaper.github import GitHubClient
    from reaper.slack import Notifier
    from reaper.store import SqlStore

__all__ = ["Cycle", "CycleOutcome"]

log = get_logger(__name__)


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
    timing: CycleTiming = field(default_factory=CycleTiming)
    usage: UsageCheck = field(default_factory=UsageCheck)
    who_can: WhoCan = field(default_factory=WhoCan)  # the teams holding who needs a person
    teams: TeamSettings = field(default_factory=TeamSettings)  # REAPER_RECLAIM_TEAMS
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

    @property
    def memory(self) -> Memory:
        """The cycle's writes to the store, behind the dry-run gate for state."""
        return Memory(self.store, self.policy, self.dry_run, self.clock)

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
                reconcile_teams(self.github, self.store, self.enterprise, now, reports)
            plan = self._plan(now, reports)
            promote_all(plan, self.teams)
            limits = Limits(self.max_cancellations, self.max_cancellation_percent)
            time_cancels(
                plan, self.timing, policy=self.policy, limits=limits, memory=self.memory, now=now
            )
            second_opinion(plan, self.usage, self.github, now, self.policy.inactive_days)
            say_waiting(plan, self.timing, now)
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
        self.memory.write(audit=plan.audit)
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
            self.memory.write(audit=[AuditEntry(now, section, None, "cancel.held", breach)])
        plan.hold_cancels("held by the blast-radius limit")

    # -- act, remember and report --------------------------------------------------------

    def _carry_out(self, plan: Plan, now: datetime) -> None:
        """Act on the plan (the one dry-run gate for actions), list it, and remember it."""
        reads = TeamReads(self.github.session, self.enterprise)  # each team read once a cycle
        vetter = TeamVetter(self.github, self.store.teams, self.teams, self.enterprise, reads=reads)
        if plan.cancels() and any(self._overdue(plan.reports[d.org]) for d in plan.cancels()):
            plan.hold_cancels("the cycle ran out of time")
        elif not self.dry_run:  # the one dry-run gate for actions
            canceller = Canceller(
                self.github, self.policy, self.clock, self.sleep, self.rate_limit_reserve
            )
            cancel_due(plan, canceller, self.store, self.clock, vetter if self.teams.refs else None)
        elif self.teams.refs and plan.cancels():  # a dry run reads the teams a live run would
            preview(vetter, plan)
        list_plan(plan, self.policy, self.clock)
        self.who_can.attach(self.github, self.store, plan, reads)
        try:
            self.memory.remember(plan, now)
        except StateStoreError as exc:
            log.error("org.not_remembered", error=str(exc))
            for result in plan.reports.values():
                result.fail(f"the state store failed, this cycle's changes were not saved: {exc}")

    def _finish(
        self, now: datetime, reports: dict[str, OrgReport], error: str | None
    ) -> CycleOutcome:
        memory = self.memory if self._store is not None else None
        self._outcome = finish(
            now, reports, error, dry_run=self.dry_run, notifier=self.notifier, memory=memory
        )
        return self._outcome


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
