"""Reconciling cancel intents: cancels that were sent but never recorded as done or not done.

A cancel intent is stored before the request and closed with the outcome in the same
transaction that records it. An intent still open at the start of a cycle means the process
or the store died in between: the seat is read again, and what GitHub says now is recorded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reaper.cycle.cancel import is_cancelled
from reaper.errors import GitHubError
from reaper.logs import get_logger
from reaper.report import Entry, OrgReport
from reaper.store import AuditEntry

if TYPE_CHECKING:
    from datetime import datetime

    from reaper.core.domain import Flag
    from reaper.github import GitHubClient
    from reaper.store import CancelIntent, SqlStore

log = get_logger(__name__)


def reconcile(
    github: GitHubClient, store: SqlStore, now: datetime, reports: dict[str, OrgReport]
) -> int:
    """Resolve every open cancel intent from a fresh read of its seat; return how many.

    Cancelled (pending, or the seat is gone): ``seat.cancelled`` is audited with when it was
    learnt, and the report lists it. Still active: the intent closes as not cancelled. Either
    way the flag stays for the cycle to decide on the person's every grant: it goes once no
    grant is left, and stays, with its due date, for a grant another scope or a team still
    holds. A seat that cannot be read keeps its intent open for the next cycle.
    """
    resolved = 0
    intents = store.unresolved_intents()
    if not intents:
        return 0
    flags: dict[str, Flag] = {}  # a person's flag, stored under whichever scope reports them
    for stored in store.all_flags():
        flags.setdefault(stored.login.casefold(), stored)
    for intent in intents:
        report = reports.setdefault(intent.org, OrgReport(intent.org))
        try:
            verdict = is_cancelled(github.get_seat(intent.org, intent.login), intent.org)
        except GitHubError as exc:
            verdict = None
            report.note_error(f"could not check the cancel sent for {intent.login}: {exc}")
        if verdict is None:
            log.warning("cancel.unresolved", org=intent.org, login=intent.login)
            continue
        _record(store, intent, flags.get(intent.login.casefold()), now, report, cancelled=verdict)
        resolved += 1
    return resolved


def _record(
    store: SqlStore,
    intent: CancelIntent,
    flag: Flag | None,
    now: datetime,
    report: OrgReport,
    *,
    cancelled: bool,
) -> None:
    sent = f"{intent.requested_at:%Y-%m-%d %H:%M} UTC"
    learnt = f"{now:%Y-%m-%d %H:%M} UTC"
    if cancelled:
        reason = f"cancel sent {sent}, confirmed on re-read {learnt}"
        event, outcome = "seat.cancelled", "cancelled"
    else:
        reason = f"cancel sent {sent} did not take effect (re-read {learnt}); flag kept"
        event, outcome = "cancel.not_applied", "not cancelled"
    store.commit(
        audit=[AuditEntry(now, intent.org, intent.login, event, reason)],
        close_intents=[(intent.org, intent.login, outcome)],
        close_at=now,
    )
    log.info("cancel.reconciled", org=intent.org, login=intent.login, outcome=outcome)
    if cancelled:
        report.cancelled.append(
            Entry(
                intent.org,
                intent.login,
                reason=reason,
                flagged_at=flag.flagged_at if flag else None,
                due_at=flag.due_at if flag else None,
                grants=(intent.org,),
            )
        )
        report.counts.cancelled += 1
        report.counts.grants_removed += 1
