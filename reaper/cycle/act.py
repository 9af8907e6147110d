"""Carrying out a live plan's cancels: intents first, then the requests, then one record.

See ``reaper.cycle.cancel`` for the rules every cancel follows; this module puts them in order
for a whole cycle and turns each due person's decision into its final one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import TYPE_CHECKING

from reaper.core.domain import Action, Decision, scope_label
from reaper.core.policy import keep
from reaper.core.teams import grant_team
from reaper.cycle.cancel import CANCELLED, NOT_CANCELLED, UNSURE, Canceller, removable
from reaper.cycle.team_confirm import TeamResults
from reaper.cycle.team_removal import (
    Removals,
    removal_intents,
    send_removals,
    settle_removals,
    team_outcome,
)
from reaper.cycle.teams import vet
from reaper.errors import StateStoreError
from reaper.logs import get_logger
from reaper.store import AuditEntry, CancelIntent
from reaper.store.teams import REMOVED

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from reaper.cycle.plan import Plan
    from reaper.cycle.teams import TeamVetter
    from reaper.store import SqlStore
    from reaper.store.teams import TeamRemoval

log = get_logger(__name__)

Outcomes = dict[tuple[str, str], tuple[str, str]]  # (scope, login) -> (outcome, detail)


def cancel_due(
    plan: Plan,
    canceller: Canceller,
    store: SqlStore,
    clock: Callable[[], datetime],
    teams: TeamVetter | None = None,
) -> None:
    """Re-check and cancel the plan's due persons; their decisions become the final ones.

    With ``teams`` (``REAPER_RECLAIM_TEAMS``), a due person is also removed from the named
    teams that grant them a seat, where every refusal rule allows it (``reaper.cycle.teams``).
    """
    now = clock()
    if teams is not None:
        canceller.reclaim, canceller.enterprise = teams.settings.keys, teams.enterprise
    chosen = canceller.select(plan)
    if not chosen:
        return
    checked = canceller.recheck(chosen, plan, now)
    removals: Removals = {}
    if teams is not None:
        checked, removals = vet(teams, checked, plan)
    final = {d.login.casefold(): d for d in checked}
    confirmed = [d for d in checked if d.action is Action.CANCEL]
    reasons = {d.login: d.reason for d in confirmed}
    if confirmed:
        grants = {d.login: removable(d, plan.fixed) for d in confirmed}
        intents = removal_intents(teams, removals, reasons, now) if teams and removals else None
        if store_intents(store, now, confirmed, grants, plan, removals=intents):
            results = (
                send_removals(teams, removals, clock, pages=_pages(plan), sleep=canceller.sleep)
                if teams and removals
                else TeamResults()
            )
            outcomes = send_all(canceller, grants)
            for d in confirmed:
                done = settle(d, grants[d.login], outcomes, plan, results.gone(d.login))
                final[d.login.casefold()] = team_outcome(d, done, results, plan.reports[d.org])
            record(
                store,
                clock(),
                confirmed=confirmed,
                grants=grants,
                outcomes=outcomes,
                final=final,
                plan=plan,
            )
            if teams is not None and removals:
                settle_teams(teams, results, reasons, clock(), confirmed=confirmed, plan=plan)
        else:
            for d in confirmed:
                final[d.login.casefold()] = keep(d, "intent not stored, kept")
    plan.decisions = [
        final.get(d.login.casefold(), d) if d.action is Action.CANCEL else d for d in plan.decisions
    ]


def _pages(plan: Plan) -> dict[str, int]:
    """Each list's pages, as the scan read them."""
    return {key: scan.pages for key, scan in plan.scans.items()}


def settle_teams(
    teams: TeamVetter,
    results: TeamResults,
    reasons: dict[str, str],
    at: datetime,
    *,
    confirmed: list[Decision],
    plan: Plan,
) -> None:
    """Record the removals' outcomes; count and log each removal in its person's section."""
    problem = settle_removals(teams, results, reasons, at)
    if problem is not None:
        for section in {d.org for d in confirmed}:
            plan.reports[section].fail(
                f"team removals were sent but the state store failed before they were "
                f"recorded ({problem}); the next cycle reads the memberships and records them"
            )
    for (login, key), (outcome, _) in results.outcomes.items():
        if outcome == REMOVED:
            section = next(d.org for d in confirmed if d.login == login)
            counts = plan.reports[section].teams_removed
            counts[key] = counts.get(key, 0) + 1
            log.info("team.member_removed", team=key, login=login)


def store_intents(
    store: SqlStore,
    now: datetime,
    confirmed: list[Decision],
    grants: dict[str, tuple[str, ...]],
    plan: Plan,
    *,
    removals: tuple[list[TeamRemoval], list[AuditEntry]] | None = None,
) -> bool:
    """Store an intent per grant and per team removal, in one transaction, before any request.

    When that fails, nothing is sent: no intent is left open for a request never made.
    """
    rows, lines = removals or ([], [])
    try:
        store.commit(
            open_intents=[
                CancelIntent(s, d.login, now) for d in confirmed for s in grants[d.login]
            ],
            open_removals=rows,
            audit=[
                *(
                    AuditEntry(now, s, d.login, "cancel.requested", d.reason)
                    for d in confirmed
                    for s in grants[d.login]
                ),
                *lines,
            ],
        )
    except StateStoreError as exc:
        log.error("org.cancel_not_sent", reason="intent not stored", error=str(exc))
        if rows:
            log.error("team.removal_not_sent", reason="intent not stored", error=str(exc))
        what = "cancel and team removal intents" if rows else "cancel intents"
        for section in {d.org for d in confirmed}:
            plan.reports[section].fail(f"the {what} could not be stored, nothing was sent: {exc}")
        return False
    return True


def send_all(canceller: Canceller, grants: dict[str, tuple[str, ...]]) -> Outcomes:
    """Send every grant's cancel, grouped per scope: each (scope, login)'s outcome."""
    by_scope: dict[str, list[str]] = defaultdict(list)
    for login, scopes in grants.items():
        for scope in scopes:
            by_scope[scope].append(login)
    outcomes: Outcomes = {}
    for scope, logins in by_scope.items():
        for login, outcome in canceller.send(scope, logins).items():
            outcomes[scope, login] = outcome
    return outcomes


def settle(
    d: Decision,
    scopes: tuple[str, ...],
    outcomes: Outcomes,
    plan: Plan,
    teams_gone: frozenset[str] = frozenset(),
) -> Decision:
    """A person is cancelled when no grant is left; else they need a person or stay flagged.

    ``teams_gone`` holds the teams the person was removed from whose grant is confirmed gone.
    """
    person = d.person
    assert person is not None
    cancelled = tuple(s for s in scopes if outcomes[s, d.login][0] == CANCELLED)
    problems = [(s, outcomes[s, d.login]) for s in scopes if s not in cancelled]
    by_team = [g for g in person.live if grant_team(g) in teams_gone]
    removed = tuple(dict.fromkeys([*cancelled, *(g.org for g in by_team)]))
    d = replace(d, removed=removed)
    left = [g for g in person.live if g.org not in cancelled and g not in by_team]
    where = ", ".join(
        [scope_label(s) for s in cancelled] + [f"team {k}" for k in sorted(teams_gone)]
    )
    if teams_gone and not problems and not left:
        d = replace(d, reason=f"{d.reason}; removed from team {', '.join(sorted(teams_gone))}")
    if problems:
        for scope, (outcome, detail) in problems:
            log.error("org.cancel_failed", org=scope, login=d.login, outcome=outcome, error=detail)
            later = "; the next cycle checks whether it went through" if outcome == UNSURE else ""
            plan.reports[d.org].fail(
                f"cancelling {d.login} in {scope_label(scope)} failed, flag kept: {detail}{later}"
            )
        done = f"; removed in {where}" if removed else ""
        return keep(d, f"cancel failed{done}, kept for the next cycle")
    if left:
        teams = ", ".join(dict.fromkeys(g.assigning_team or scope_label(g.org) for g in left))
        reason = f"removed in {where}, but still granted through {teams}: saved nothing"
        return replace(d, action=Action.NEEDS_PERSON, reason=reason)
    return d


def record(
    store: SqlStore,
    at: datetime,
    *,
    confirmed: list[Decision],
    grants: dict[str, tuple[str, ...]],
    outcomes: Outcomes,
    final: dict[str, Decision],
    plan: Plan,
) -> None:
    """Store what GitHub did in one transaction, or leave the intents for the next cycle."""
    audit, close = [], []
    events = {CANCELLED: "seat.cancelled", NOT_CANCELLED: "cancel.not_applied"}
    for d in confirmed:
        for scope in grants[d.login]:
            outcome, detail = outcomes[scope, d.login]
            if outcome != UNSURE:
                close.append((scope, d.login, "failed" if outcome not in events else outcome))
            audit.append(
                AuditEntry(
                    at, scope, d.login, events.get(outcome, "cancel.failed"), detail or d.reason
                )
            )
    done = [final[d.login.casefold()] for d in confirmed]
    gone = [d.flag for d in done if d.action is Action.CANCEL and d.flag is not None]
    try:
        store.commit(remove=gone, audit=audit, close_intents=close, close_at=at)
    except StateStoreError as exc:
        logins = [d.login for d in done if d.removed]
        log.error("store.cancel_not_recorded", logins=logins, error=str(exc))
        for section in {d.org for d in done}:
            plan.reports[section].fail(
                f"GitHub cancelled {', '.join(logins)} but the state store failed before it was "
                f"recorded ({exc}); the next cycle re-reads these seats and records it"
            )
    for d in done:
        for scope in d.removed:
            log.info("seat.cancelled", org=scope, login=d.login, idle_days=d.idle_days)
