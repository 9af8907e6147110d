"""The orchestrator: one cycle reads top to bottom.

scan → decide → act (the one dry-run gate) → remember → report → start grace periods.

Crash safety follows from the order of writes: a cancel is only ever sent for a flag that
was stored and warned about in an earlier cycle, its intent is written to the audit log
before the request, and a cancelled seat shows up as pending afterwards, so it is never
cancelled twice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from reaper.domain import Action, BadSeat, Decision, Flag, Seat
from reaper.errors import GitHubError, GitHubUnprocessableError, SlackDeliveryError
from reaper.github import parse_seat, scan_org
from reaper.logs import get_logger
from reaper.policy import DAY, decide_org, decide_seat
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
class Cycle:
    """Everything one cycle needs, injected: adapters, settings and the clock."""

    github: GitHubClient
    store: SqlStore
    notifier: Notifier
    policy: Policy
    orgs: list[str]
    dry_run: bool
    clock: Callable[[], datetime]
    sleep: Callable[[float], None] = field(default=time.sleep)

    def run(self) -> CycleOutcome:
        """Run one cycle over every org, report it, and start the warned flags' grace periods."""
        now = self.clock()
        log.info("cycle.started", orgs=self.orgs, dry_run=self.dry_run)
        report = CycleReport(at=now, dry_run=self.dry_run)
        for org in self.orgs:
            report.orgs.append(self._run_org(org, now))
        outcome = self._deliver(report)
        totals = report.totals
        log.info(
            "cycle.completed",
            dry_run=self.dry_run,
            ok=outcome.ok,
            delivered=outcome.delivered,
            failed_orgs=[org.org for org in report.orgs if org.failed],
            **totals.as_dict(),
        )
        return outcome

    # -- one org -------------------------------------------------------------------------

    def _run_org(self, org: str, now: datetime) -> OrgReport:
        result = OrgReport(org)
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
            return result
        log.info("org.scanned", org=org, seats=len(scan.seats), unreadable=len(scan.bad))

        flags = self.store.load_flags(org)
        unreadable = [bad.login for bad in scan.bad if bad.login]
        decisions = decide_org(scan.seats, flags, now, self.policy, unreadable_logins=unreadable)
        if not self.dry_run:
            decisions = self._cancel(org, decisions, now, result)
        self._remember(org, decisions, now)
        result.tally(decisions, bad_seats=len(scan.bad))
        self._list(decisions, result)
        return result

    def _cancel(
        self, org: str, decisions: list[Decision], now: datetime, result: OrgReport
    ) -> list[Decision]:
        """Re-check and cancel the due seats of one org; return the final decisions."""
        final = [d for d in decisions if d.action is not Action.CANCEL]
        confirmed: list[Decision] = []
        for due in (d for d in decisions if d.action is Action.CANCEL):
            checked = self._recheck(due, now, result)
            (confirmed if checked.action is Action.CANCEL else final).append(checked)
        if not confirmed:
            return final
        self._write(
            audit=[AuditEntry(now, org, d.login, "cancel.requested", d.reason) for d in confirmed]
        )
        for batch in self._cancel_batches(org, confirmed, result):
            final.extend(batch)
        return final

    def _recheck(self, due: Decision, now: datetime, result: OrgReport) -> Decision:
        """Re-read a due seat right before cancelling and decide again on what GitHub says now."""
        assert due.flag is not None
        try:
            record = self.github.get_seat(due.org, due.login)
        except GitHubError as exc:
            result.fail(f"could not re-read {due.login} before cancelling, kept: {exc}")
            return _keep(due, "not re-read, kept for the next cycle")
        if record is None:
            return Decision(due.org, due.login, Action.FORGET, "seat gone", None, due.flag)
        seat = parse_seat(due.org, record)
        if isinstance(seat, BadSeat) or seat.login.casefold() != due.login.casefold():
            result.note_error(f"re-read of {due.login} is unreadable, kept")
            return _keep(due, "re-read unreadable")
        checked = decide_seat(seat, due.flag, now, self.policy)
        if checked.action is not Action.CANCEL:
            log.info("seat.cancel_skipped", org=due.org, login=due.login, reason=checked.reason)
        return checked

    def _cancel_batches(
        self, org: str, confirmed: list[Decision], result: OrgReport
    ) -> list[list[Decision]]:
        """Send the cancels in one batch; when GitHub refuses it, one user at a time."""
        try:
            self._send_cancel(org, confirmed)
        except GitHubUnprocessableError as exc:
            if len(confirmed) == 1:
                return [self._cancel_failed(org, confirmed, str(exc), result)]
            log.warning("org.cancel_batch_refused", org=org, error=str(exc))
            batches = []
            for decision in confirmed:
                self.sleep(1.0)  # GitHub: at least a second between mutating requests
                batches.append(self._cancel_batches(org, [decision], result)[0])
            return batches
        except GitHubError as exc:
            return [self._cancel_failed(org, confirmed, str(exc), result)]
        return [confirmed]

    def _send_cancel(self, org: str, confirmed: list[Decision]) -> None:
        logins = [d.login for d in confirmed]
        cancelled = self.github.cancel_seats(org, logins)
        at = self.clock()
        if cancelled != len(logins):
            log.warning(
                "org.cancel_count_mismatch", org=org, asked=len(logins), cancelled=cancelled
            )
        self._write(
            remove=[d.flag for d in confirmed if d.flag is not None],
            audit=[AuditEntry(at, org, d.login, "seat.cancelled", d.reason) for d in confirmed],
        )
        for d in confirmed:
            log.info("seat.cancelled", org=org, login=d.login, idle_days=d.idle_days)

    def _cancel_failed(
        self, org: str, decisions: list[Decision], error: str, result: OrgReport
    ) -> list[Decision]:
        logins = ", ".join(d.login for d in decisions)
        log.error("org.cancel_failed", org=org, logins=logins, error=error)
        result.fail(f"cancelling {logins} failed, flags kept: {error}")
        self._write(
            audit=[
                AuditEntry(self.clock(), org, d.login, "cancel.failed", error) for d in decisions
            ]
        )
        return [_keep(d, "cancel failed, kept for the next cycle") for d in decisions]

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
                log.warning(
                    "seat.needs_person",
                    org=org,
                    login=d.login,
                    team=d.seat and d.seat.assigning_team,
                )
        self._write(add=added, remove=removed, audit=audit)

    def _list(self, decisions: list[Decision], result: OrgReport) -> None:
        for d in decisions:
            if d.action is Action.FLAG or (
                d.action is Action.IN_GRACE and d.flag is not None and d.flag.warned_at is None
            ):
                due = d.due_at or self.clock() + self.policy.grace_days * DAY
                result.flagged.append(replace(Entry.of(d), due_at=due))
            elif d.action is Action.CANCEL:
                result.cancelled.append(Entry.of(d))
            elif d.action is Action.UNFLAG:
                result.reactivated.append(Entry.of(d))
            elif d.action is Action.NEEDS_PERSON:
                result.needs_person.append(Entry.of(d))

    # -- state and report ---------------------------------------------------------------

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


def _keep(decision: Decision, reason: str) -> Decision:
    """Turn a due decision into one that keeps the flag untouched."""
    return Decision(
        decision.org,
        decision.login,
        Action.IN_GRACE,
        reason,
        decision.seat,
        decision.flag,
        decision.idle_days,
        decision.due_at,
    )
