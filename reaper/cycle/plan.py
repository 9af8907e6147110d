"""Planning a cycle: read every seat list, group the grants by person, decide once per person.

The lists read are the enterprise's (when configured) and each configured org's, except an
org whose grants the enterprise's list already holds. Nothing is acted on here: the plan
carries its decisions and the audit entries it wants written, and the orchestrator acts (or
not, in a dry run), so the one dry-run gate stays in ``reaper.cycle.orchestrator``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reaper.core.completeness import View, changes, remembered_now, waiting_reason
from reaper.core.domain import Action, Decision, Flag, Person, Seat, enterprise_scope, scope_label
from reaper.core.limits import forget_breach
from reaper.core.policy import decide_person, keep
from reaper.errors import GitHubError
from reaper.github import OrgScan, scan_org
from reaper.github.preflight import preflight, preflight_enterprise
from reaper.logs import get_logger
from reaper.store import AuditEntry

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import date, datetime

    from reaper.core.policy import Policy
    from reaper.github import GitHubClient
    from reaper.report import OrgReport
    from reaper.store import SqlStore

log = get_logger(__name__)


@dataclass
class Plan:
    """The cycle's decisions before anything is done: one per person, plus flags to forget.

    ``scans`` holds every list read completely, by the scope it was read from; ``complete``
    tells that every list that should have been read was, which forgetting a flag needs.
    ``fixed`` maps the orgs whose seats cannot be cancelled per user to why.
    """

    reports: dict[str, OrgReport]
    decisions: list[Decision] = field(default_factory=list)
    scans: dict[str, OrgScan] = field(default_factory=dict)
    fixed: dict[str, str] = field(default_factory=dict)
    complete: bool = True
    unread: dict[str, str] = field(default_factory=dict)  # lists not read completely: why
    held_changes: tuple[list[tuple[str, str]], list[tuple[str, str]]] = ([], [])
    audit: list[AuditEntry] = field(default_factory=list)
    # persons the usage report showed in use after their seat record: casefolded login ->
    # (login, that day); remembered as an exemption so they are not warned again meanwhile
    report_use: dict[str, tuple[str, date]] = field(default_factory=dict)
    _members: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def cancels(self) -> list[Decision]:
        """The persons this plan would cancel."""
        return [d for d in self.decisions if d.action is Action.CANCEL]

    def hold_cancels(self, reason: str) -> None:
        """Keep every due person flagged instead of cancelling them."""
        self.decisions = [
            keep(d, reason) if d.action is Action.CANCEL else d for d in self.decisions
        ]

    def members(self, key: str) -> frozenset[str]:
        """The persons (casefolded logins) the list read from scope ``key`` holds."""
        if key not in self._members:
            self._members[key] = frozenset(g.login.casefold() for g in self.scans[key].seats)
        return self._members[key]

    def bad_seats(self, section: str) -> int:
        """Unreadable records of the list read for a report section."""
        scan = self.scans.get(section)
        return len(scan.bad) if scan else 0


@dataclass(frozen=True, slots=True)
class Planner:
    """Reads every list and decides, without changing anything anywhere."""

    github: GitHubClient
    store: SqlStore
    policy: Policy
    orgs: list[str]
    enterprise: str | None
    token: str
    max_forget_percent: float
    overdue: Callable[[OrgReport], bool]
    sleep: Callable[[float], None] = time.sleep

    def plan(self, now: datetime, reports: dict[str, OrgReport]) -> Plan:
        """Read, group by person and decide; a list that cannot be trusted is left out."""
        plan = Plan(reports)
        if self.enterprise is not None:
            key = enterprise_scope(self.enterprise)
            problem = preflight_enterprise(self.github, self.enterprise, self.token)
            if problem is not None:
                self._unread(plan, key, now, problem, preflight=True)
            else:
                self._read(plan, key, now)
        covered = {g.org.casefold() for scan in plan.scans.values() for g in scan.seats}
        for org in self.orgs:
            status = preflight(self.github, org)
            if status.problem is not None:
                self._unread(plan, org, now, status.problem, preflight=True)
                continue
            if status.no_cancel is not None:
                plan.fixed[org] = status.no_cancel
            if org.casefold() in covered:
                log.info("org.covered_by_enterprise", org=org, enterprise=self.enterprise)
            else:
                self._read(plan, org, now)
        self._decide(plan, now)
        return plan

    @property
    def _remembers(self) -> bool:
        """Where persons hold grants is remembered when more than one list is read."""
        return len(self.orgs) + (self.enterprise is not None) > 1

    # -- reading ----------------------------------------------------------------------------

    def _read(self, plan: Plan, key: str, now: datetime) -> None:
        result = plan.reports[key]
        if self.overdue(result):
            plan.complete = False
            plan.unread[key] = "the cycle ran out of time"
            return
        scan = scan_org(self.github, key, sleep=self.sleep)
        for bad in scan.bad:
            log.warning("seat.unreadable", org=key, login=bad.login, reason=bad.reason)
            result.note_error(
                f"skipped an unreadable seat ({bad.login or 'no login'}): {bad.reason}"
            )
        if not scan.complete:
            self._unread(plan, key, now, scan.error or "")
            return
        last = self.store.last_scan(key)
        breach = forget_breach(
            scope_label(key),
            previous_seats=last[0] if last else None,
            seats=scan.records,
            flags=0,
            forgets=0,
            max_percent=self.max_forget_percent,
        )
        if breach is not None:
            log.error("org.forget_held", org=key, detail=breach)
            self._unread(plan, key, now, f"held by the forget limit: {breach}", "forget_limit")
            return
        log.info("org.scanned", org=key, seats=scan.records, reads=scan.attempts)
        plan.scans[key] = scan

    def _unread(
        self,
        plan: Plan,
        key: str,
        now: datetime,
        error: str,
        hold: str = "scan_incomplete",
        *,
        preflight: bool = False,
    ) -> None:
        plan.complete = False
        plan.unread[key] = error
        result = plan.reports[key]
        if preflight:
            log.error("org.preflight_failed", org=key, problem=error)
            result.fail(error, hold="preflight")
            return
        log.error("org.scan_incomplete", org=key, error=error)
        result.fail(f"seat list could not be read completely, nothing done: {error}", hold=hold)
        plan.audit.append(AuditEntry(now, key, None, "scan.incomplete", error))

    # -- deciding ---------------------------------------------------------------------------

    def _decide(self, plan: Plan, now: datetime) -> None:
        persons = self._persons(plan.scans.values(), plan.reports)
        flags = self._flags(persons, plan.reports)
        kept = self.store.exemptions(now)
        view = View.of(plan.scans, plan.unread)
        remembered = self.store.grant_scopes() if self._remembers else {}
        # A person with an unreadable record is never acted on, and keeps any flag.
        unreadable = {b.login.casefold() for s in plan.scans.values() for b in s.bad if b.login}
        for key in unreadable:
            persons.pop(key, None)
            flags.pop(key, None)
        if self._remembers:
            held = remembered_now(view, persons, remembered)
            held.update((k, remembered[k]) for k in unreadable if k in remembered)
            plan.held_changes = changes(remembered, held)
        for key, person in persons.items():
            exemption = kept.get(key)
            flag = flags.pop(key, None)
            # Every scope known to hold a grant of theirs: now, earlier, where the flag is.
            scopes = [g.org for g in person.grants] + sorted(remembered.get(key, ()))
            missing = view.missing([*scopes, flag.org] if flag else scopes)
            plan.decisions.append(
                decide_person(
                    person,
                    flag,
                    now,
                    self.policy,
                    exempt_until=(exemption.until, f"{exemption.reason} ({exemption.by})")
                    if exemption
                    else None,
                    fixed=plan.fixed,
                    waiting=waiting_reason(missing) if missing else None,
                )
            )
        gone = [flag for flag in flags.values() if flag.org in plan.reports]
        if not gone:
            return
        if not plan.complete:  # the person may hold a seat in a list that was not read
            return
        problem = self._check_forgets(plan, gone)
        if problem is not None:
            for result in plan.reports.values():
                result.fail(f"nothing done: {problem}", hold="forget_limit")
            plan.decisions = []
            plan.complete = False
            return
        plan.decisions += [
            Decision(f.org, f.login, Action.FORGET, "no longer holds a seat", None, f) for f in gone
        ]

    def _persons(
        self, scans: Iterable[OrgScan], sections: dict[str, OrgReport]
    ) -> dict[str, Person]:
        """Every person read, with each grant once (an org's grant is in both lists)."""
        first: dict[str, Seat] = {}  # each person's first grant, in the order read
        more: dict[str, dict[tuple[str, str | None], Seat]] = {}  # only those with several
        for scan in scans:
            for seat in scan.seats:
                if (known := first.get(key := seat.login.casefold())) is None:
                    first[key if key != seat.login else seat.login] = seat  # one string if equal
                    continue
                held = more.setdefault(key, {(known.org.casefold(), known.assigning_team): known})
                held.setdefault((seat.org.casefold(), seat.assigning_team), seat)
        orgs = {org.casefold(): org for org in self.orgs}
        fallback = enterprise_scope(self.enterprise) if self.enterprise else None
        persons = {}
        for key, seat in first.items():
            seats = tuple(more[key].values()) if key in more else (seat,)
            live = [g.org for g in seats if g.live] + [g.org for g in seats]
            home = next((orgs[s.casefold()] for s in live if s.casefold() in orgs), None)
            home = home or fallback or next((s for s in live if s in sections), live[0])
            persons[key] = Person(seats[0].login, seats, home)
        return persons

    def _flags(self, persons: dict[str, Person], sections: dict[str, OrgReport]) -> dict[str, Flag]:
        """The flag of each person, by login: stored under any scope this cycle manages."""
        found: dict[str, Flag] = {}
        for flag in self.store.all_flags():
            key = flag.login.casefold()
            person = persons.get(key)
            if flag.org not in sections and (person is None or flag.org not in person.scopes):
                continue  # a scope no longer configured: left alone
            if key not in found or _more_careful(flag, found[key]):
                found[key] = flag
        return found

    def _check_forgets(self, plan: Plan, gone: list[Flag]) -> str | None:
        """A flag is only forgotten for a checked reason: bound mass forgetting, re-read each."""
        labels = ", ".join(scope_label(key) for key in plan.reports)
        breach = forget_breach(
            labels,
            previous_seats=None,
            seats=0,
            flags=len(gone) + sum(1 for d in plan.decisions if d.flag is not None),
            forgets=len(gone),
            max_percent=self.max_forget_percent,
        )
        if breach is not None:
            log.error("org.forget_held", org=labels, detail=breach)
            return f"held by the forget limit: {breach}"
        for flag in gone:
            for key in plan.scans:
                try:
                    still = self.github.get_grants(key, flag.login)
                except GitHubError as exc:
                    return f"could not re-read {flag.login}, missing from the list: {exc}"
                if still:
                    log.error("org.list_inconsistent", org=key, login=flag.login)
                    return (
                        f"{flag.login} is missing from the seat list of {scope_label(key)}, "
                        "but GitHub still has the seat"
                    )
        return None


def _more_careful(flag: Flag, other: Flag) -> bool:
    """Of two flags of one person (kept from before persons), the later promise wins."""
    if flag.due_at is None or other.due_at is None:
        return flag.due_at is None and other.due_at is not None
    return flag.due_at > other.due_at
