"""The act step of a live cycle: re-check each due seat, then cancel, with the audit trail.

Only the orchestrator calls this, and only in a live run. Every cancel is accounted for:

1. a cancel intent (and ``cancel.requested``) is stored before the request; when that write
   fails, nothing is sent;
2. each user GitHub accepted is logged (``seat.cancel_accepted``) before anything else can
   fail;
3. GitHub's count is trusted: when ``seats_cancelled`` is lower than asked, the seats are
   re-read and only those that really changed are recorded as cancelled;
4. the flag, the ``seat.cancelled`` audit row and the closed intent are one transaction. When
   the process or the store dies before it, the intent stays open and the next cycle's
   reconciliation (``reaper.reconcile``) records what GitHub says happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reaper.domain import Action, BadSeat, Decision
from reaper.errors import (
    GitHubError,
    GitHubUnavailableError,
    GitHubUnprocessableError,
    StateStoreError,
)
from reaper.github import parse_seat
from reaper.logs import get_logger
from reaper.policy import decide_seat
from reaper.store import AuditEntry, CancelIntent

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from reaper.github import GitHubClient
    from reaper.policy import Policy
    from reaper.report import OrgReport
    from reaper.store import SqlStore

log = get_logger(__name__)


def keep(decision: Decision, reason: str) -> Decision:
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


def is_cancelled(record: object, org: str) -> bool | None:
    """Tell from a re-read seat record whether its cancel took: True, False, or None (unsure).

    ``None`` as a record (GitHub answered 404) means the seat is gone, which counts as
    cancelled; an unreadable record tells nothing.
    """
    if record is None:
        return True
    seat = parse_seat(org, record)
    if isinstance(seat, BadSeat):
        return None
    return seat.pending_cancellation_date is not None


@dataclass
class Canceller:
    """Cancels the due seats of one org and reports what happened to each."""

    github: GitHubClient
    store: SqlStore
    policy: Policy
    clock: Callable[[], datetime]

    def run(self, org: str, decisions: list[Decision], result: OrgReport) -> list[Decision]:
        """Re-check and cancel the due seats among ``decisions``; return the final decisions."""
        now = self.clock()
        final = [d for d in decisions if d.action is not Action.CANCEL]
        confirmed: list[Decision] = []
        for due in (d for d in decisions if d.action is Action.CANCEL):
            checked = self._recheck(due, now, result)
            (confirmed if checked.action is Action.CANCEL else final).append(checked)
        if not confirmed:
            return final
        try:
            self.store.commit(
                open_intents=[CancelIntent(org, d.login, now) for d in confirmed],
                audit=[
                    AuditEntry(now, org, d.login, "cancel.requested", d.reason) for d in confirmed
                ],
            )
        except StateStoreError as exc:
            log.error("org.cancel_not_sent", org=org, reason="intent not stored", error=str(exc))
            result.fail(f"the cancel intents could not be stored, nothing was cancelled: {exc}")
            return final + [keep(d, "intent not stored, kept") for d in confirmed]
        return final + self._cancel(org, confirmed, result)

    def _recheck(self, due: Decision, now: datetime, result: OrgReport) -> Decision:
        """Re-read a due seat right before cancelling and decide again on what GitHub says now."""
        try:
            record = self.github.get_seat(due.org, due.login)
        except GitHubError as exc:
            result.fail(f"could not re-read {due.login} before cancelling, kept: {exc}")
            return keep(due, "not re-read, kept for the next cycle")
        if record is None:
            return Decision(due.org, due.login, Action.FORGET, "seat gone", None, due.flag)
        seat = parse_seat(due.org, record)
        if isinstance(seat, BadSeat) or seat.login.casefold() != due.login.casefold():
            result.note_error(f"re-read of {due.login} is unreadable, kept")
            return keep(due, "re-read unreadable")
        checked = decide_seat(seat, due.flag, now, self.policy)
        if checked.action is not Action.CANCEL:
            log.info("seat.cancel_skipped", org=due.org, login=due.login, reason=checked.reason)
        return checked

    def _cancel(self, org: str, batch: list[Decision], result: OrgReport) -> list[Decision]:
        """Cancel a batch in one request; when GitHub refuses it (422), one seat at a time."""
        try:
            count = self.github.cancel_seats(org, [d.login for d in batch])
        except GitHubUnprocessableError as exc:
            if len(batch) > 1:
                log.warning("org.cancel_batch_refused", org=org, error=str(exc))
                return [d for one in batch for d in self._cancel(org, [one], result)]
            return self._failed(org, batch, exc, result)
        except GitHubError as exc:
            return self._failed(org, batch, exc, result)
        for d in batch:  # first, before anything else can fail: who GitHub accepted
            log.info("seat.cancel_accepted", org=org, login=d.login, asked=len(batch), count=count)
        done, kept, unsure = batch, list[Decision](), list[Decision]()
        if count < len(batch):
            done, kept, unsure = self._verify(org, batch)
            log.error(
                "org.cancel_count_short", org=org, asked=len(batch), cancelled=count, kept=len(kept)
            )
            result.fail(
                f"GitHub cancelled {count} of the {len(batch)} seats asked; re-read, "
                f"{len(done)} were cancelled and the others stay flagged: "
                + ", ".join(d.login for d in kept + unsure)
            )
        self._record(org, done, kept, result)
        not_done = [keep(d, "GitHub did not cancel it, kept flagged") for d in kept + unsure]
        return done + not_done

    def _verify(
        self, org: str, batch: list[Decision]
    ) -> tuple[list[Decision], list[Decision], list[Decision]]:
        """Re-read every seat of a short-counted cancel: (cancelled, not cancelled, unsure)."""
        done: list[Decision] = []
        kept: list[Decision] = []
        unsure: list[Decision] = []
        for d in batch:
            try:
                verdict = is_cancelled(self.github.get_seat(org, d.login), org)
            except GitHubError:
                verdict = None
            {True: done, False: kept, None: unsure}[verdict].append(d)
        return done, kept, unsure

    def _record(
        self, org: str, done: list[Decision], kept: list[Decision], result: OrgReport
    ) -> None:
        """Store what GitHub did: one transaction, or an open intent for the next cycle."""
        at = self.clock()
        audit = [AuditEntry(at, org, d.login, "seat.cancelled", d.reason) for d in done]
        audit += [
            AuditEntry(at, org, d.login, "cancel.not_applied", "GitHub did not cancel it")
            for d in kept
        ]
        try:
            self.store.commit(
                remove=[d.flag for d in done if d.flag is not None],
                audit=audit,
                close_intents=[(org, d.login, "cancelled") for d in done]
                + [(org, d.login, "not cancelled") for d in kept],
                close_at=at,
            )
        except StateStoreError as exc:
            logins = [d.login for d in done]
            log.error("store.cancel_not_recorded", org=org, logins=logins, error=str(exc))
            result.fail(
                f"GitHub cancelled {', '.join(logins)} but the state store failed before it was "
                f"recorded ({exc}); the next cycle re-reads these seats and records it"
            )
        for d in done:
            log.info("seat.cancelled", org=org, login=d.login, idle_days=d.idle_days)

    def _failed(
        self, org: str, batch: list[Decision], error: GitHubError, result: OrgReport
    ) -> list[Decision]:
        """A refused cancel keeps its flags; one that may have gone through stays open."""
        logins = ", ".join(d.login for d in batch)
        unsure = isinstance(error, GitHubUnavailableError)
        log.error("org.cancel_failed", org=org, logins=logins, error=str(error), unsure=unsure)
        note = "; the next cycle checks whether it went through" if unsure else ""
        result.fail(f"cancelling {logins} failed, flags kept: {error}{note}")
        at = self.clock()
        try:
            self.store.commit(
                audit=[AuditEntry(at, org, d.login, "cancel.failed", str(error)) for d in batch],
                close_intents=[] if unsure else [(org, d.login, "failed") for d in batch],
                close_at=at,
            )
        except StateStoreError as exc:
            log.error("store.write_failed", org=org, error=str(exc))
        return [keep(d, "cancel failed, kept for the next cycle") for d in batch]
