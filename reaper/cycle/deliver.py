"""Deliver: a cycle's report goes out whatever happened, and its outcome says how it went.

``finish`` puts every section in one report, delivers it through the notifier and logs
``cycle.completed``. A report that could not be delivered is logged in full instead. Once it
is delivered, the flags it named start their grace periods (``Memory.warn``, which writes
nothing in a dry run); when that write fails, the flags are named again next cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reaper.errors import SlackDeliveryError, StateStoreError
from reaper.logs import get_logger
from reaper.report import CycleReport, render_text
from reaper.store import AuditEntry

if TYPE_CHECKING:
    from datetime import datetime

    from reaper.cycle.remember import Memory
    from reaper.report import OrgReport
    from reaper.slack import Notifier

log = get_logger(__name__)


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


def finish(
    now: datetime,
    reports: dict[str, OrgReport],
    error: str | None,
    *,
    dry_run: bool,
    notifier: Notifier,
    memory: Memory | None,
) -> CycleOutcome:
    """Report the cycle and log its completion; ``memory`` is ``None`` when no store opened."""
    report = CycleReport(at=now, dry_run=dry_run, orgs=list(reports.values()))
    outcome = deliver(report, error, notifier, memory)
    log.info(
        "cycle.completed",
        ok=outcome.ok,
        delivered=outcome.delivered,
        error=error,
        failed_orgs=[org.org for org in report.orgs if org.failed],
        **report.totals.as_dict(),
    )
    return outcome


def deliver(
    report: CycleReport, error: str | None, notifier: Notifier, memory: Memory | None
) -> CycleOutcome:
    """Deliver the report, then start the grace periods of the flags it named."""
    try:
        named = notifier.deliver(report)
    except SlackDeliveryError as exc:
        log.error(
            "report.delivery_failed",
            target=notifier.target,
            error=str(exc),
            report=render_text(report, notifier.prices),
        )
        if memory is not None and not report.dry_run:  # the cancel notes went out regardless
            error = audit_told(report, notifier, memory) or error
        return CycleOutcome(report, delivered=False, delivery_error=str(exc), error=error)
    log.info("report.delivered", target=notifier.target, named=len(named))
    if memory is not None and not report.dry_run:
        error = audit_told(report, notifier, memory) or error
    if named and memory is not None:
        try:
            memory.warn(named)
        except StateStoreError as exc:  # unwarned flags are named again next cycle
            log.error("flag.warn_not_saved", error=str(exc))
            error = error or str(exc)
    return CycleOutcome(report, delivered=True, error=error)


def audit_told(report: CycleReport, notifier: Notifier, memory: Memory) -> str | None:
    """Audit who was told of a cancel by direct message, with the source of the address."""
    told: list[tuple[str, str, str]] = getattr(notifier, "told", [])
    entries = [
        AuditEntry(report.at, org, login, "slack.dm_sent", f"told of the cancel; address: {source}")
        for org, login, source in told
    ]
    try:
        if entries:
            memory.write(audit=entries)
    except StateStoreError as exc:
        log.error("audit.not_saved", error=str(exc))
        return str(exc)
    return None
