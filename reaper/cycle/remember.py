"""Remember: everything a cycle writes to the state store, behind the dry-run gate for state.

Every write of a cycle goes through ``Memory``: the audit entries the plan and the limits
want kept; then, in one transaction, the new flags, the dropped and moved ones, the audit
log, the scan sizes and the persons held (``remember``); and after a delivered report, the
grace periods of the flags it named (``warn``). ``write`` and ``warn`` are the dry-run gate
for state: a dry run writes nothing at all. (The dry-run gate for actions is the one in
``reaper.cycle.orchestrator``.)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING

from reaper.core.domain import Action, Flag
from reaper.core.policy import DAY
from reaper.logs import get_logger
from reaper.store import AuditEntry, Exemption

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import date

    from reaper.core.policy import Policy
    from reaper.cycle.plan import Plan
    from reaper.store import SqlStore

log = get_logger(__name__)

# A flag is dropped for these; the report lists only the reactivated ones.
_DROPS_FLAG = {Action.UNFLAG, Action.FORGET, Action.PENDING, Action.EXEMPT}
# A flag is neither dropped nor moved for these.
_KEEPS_FLAG_AS_IS = {Action.CANCEL, Action.WAITING}


@dataclass(frozen=True, slots=True)
class Memory:
    """A cycle's writes to its store: none at all in a dry run."""

    store: SqlStore
    policy: Policy
    dry_run: bool
    clock: Callable[[], datetime]

    def write(
        self,
        *,
        add: list[Flag] | None = None,
        remove: list[Flag] | None = None,
        audit: list[AuditEntry] | None = None,
        scans: list[tuple[str, int, datetime]] | None = None,
        held: list[tuple[str, str]] | None = None,
        not_held: list[tuple[str, str]] | None = None,
        cycles: dict[str, date] | None = None,
        exempt: list[Exemption] | None = None,
    ) -> None:
        """The dry-run gate for state: a dry run writes nothing at all."""
        if self.dry_run:
            return
        if cycles:  # each scope's next billing-cycle date (see reaper.cycle.timing)
            self.store.save_billing_cycles(cycles, self.clock())
            if not (add or remove or audit or scans or held or not_held or exempt):
                return
        self.store.commit(
            add=add or [],
            remove=remove or [],
            audit=audit or [],
            scans=scans or [],
            held=held or [],
            not_held=not_held or [],
            exempt=exempt or [],
        )

    def remember(self, plan: Plan, now: datetime) -> None:
        """Store new flags, drop obsolete ones, and write the audit log, in one transaction."""
        added, removed, audit = [], [], []
        waiting: dict[str, int] = {}  # persons waiting, by the lists they wait for
        flagged = "seat.would_flag" if self.dry_run else "seat.flagged"
        for d in plan.decisions:
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
                waiting[d.reason] = waiting.get(d.reason, 0) + 1
                log.debug("seat.waiting", org=org, login=d.login, reason=d.reason)
        for reason, persons in waiting.items():  # a failed 40,000-person list: one INFO line
            log.info("org.persons_waiting", reason=reason, persons=persons)
        scans = [(key, scan.records, now) for key, scan in plan.scans.items()]
        held, not_held = plan.held_changes
        self.write(
            add=added,
            remove=removed,
            audit=audit,
            scans=scans,
            held=held,
            not_held=not_held,
            exempt=self.report_exemptions(plan, now),
        )

    def report_exemptions(self, plan: Plan, now: datetime) -> list[Exemption]:
        """Leave alone, for ``REAPER_INACTIVE_DAYS`` after it, whom the usage report saw in use.

        Their seat record still lags: without this, the next cycle would flag and warn them
        again although the report shows them working.
        """
        out = []
        for login, day in plan.report_use.values():
            until = datetime.combine(day, time(), tzinfo=UTC) + self.policy.inactive_days * DAY
            if until > now:
                why = f"the usage report shows use on {day.isoformat()}"
                out.append(Exemption(login, until, why, "usage report", now))
        return out

    def warn(self, named: Iterable[tuple[str, str]]) -> None:
        """Start the grace periods of the flags a delivered report named; a dry run does not."""
        if not self.dry_run:
            self.store.mark_warned(sorted(named), self.clock(), self.policy.grace_days * DAY)
