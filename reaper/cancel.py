"""The act step of a live cycle: re-check each due seat, then cancel, with the audit trail.

Only the orchestrator calls this, and only in a live run. The intent is written to the audit
log before the request, so a crash between the two is visible; a seat whose cancel went
through shows up as pending afterwards and is never sent again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reaper.domain import Action, BadSeat, Decision
from reaper.errors import GitHubError, GitHubUnprocessableError
from reaper.github import parse_seat
from reaper.logs import get_logger
from reaper.policy import decide_seat
from reaper.store import AuditEntry

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
        if confirmed:
            self.store.commit(
                audit=[
                    AuditEntry(now, org, d.login, "cancel.requested", d.reason) for d in confirmed
                ]
            )
            final.extend(self._cancel(org, confirmed, result))
        return final

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
            cancelled = self.github.cancel_seats(org, [d.login for d in batch])
        except GitHubUnprocessableError as exc:
            if len(batch) > 1:
                log.warning("org.cancel_batch_refused", org=org, error=str(exc))
                return [d for one in batch for d in self._cancel(org, [one], result)]
            return self._failed(org, batch, str(exc), result)
        except GitHubError as exc:
            return self._failed(org, batch, str(exc), result)
        if cancelled != len(batch):
            log.warning("org.cancel_count_mismatch", org=org, asked=len(batch), cancelled=cancelled)
        at = self.clock()
        self.store.commit(
            remove=[d.flag for d in batch if d.flag is not None],
            audit=[AuditEntry(at, org, d.login, "seat.cancelled", d.reason) for d in batch],
        )
        for d in batch:
            log.info("seat.cancelled", org=org, login=d.login, idle_days=d.idle_days)
        return batch

    def _failed(
        self, org: str, batch: list[Decision], error: str, result: OrgReport
    ) -> list[Decision]:
        logins = ", ".join(d.login for d in batch)
        log.error("org.cancel_failed", org=org, logins=logins, error=error)
        result.fail(f"cancelling {logins} failed, flags kept: {error}")
        at = self.clock()
        self.store.commit(
            audit=[AuditEntry(at, org, d.login, "cancel.failed", error) for d in batch]
        )
        return [keep(d, "cancel failed, kept for the next cycle") for d in batch]
