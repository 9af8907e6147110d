"""Releasing one person's seat at their own request ("Release it now" in Slack).

The person's consent stands in for the due date; everything else is the cycle's cancel path
(``reaper.cycle.act``): every grant read right before, an intent stored per grant before any
request, cancels per scope, one record, and the person counted as cancelled only when no
grant is left. The caller holds the store's writer lock.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reaper.core.domain import Action, BadSeat, Decision, Person, enterprise_scope, scope_label
from reaper.core.policy import idle_days
from reaper.cycle.act import record, send_all, settle, settle_teams, store_intents
from reaper.cycle.cancel import Canceller, removable
from reaper.cycle.plan import Plan
from reaper.cycle.team_confirm import TeamResults
from reaper.cycle.team_removal import removal_intents, send_removals, team_outcome
from reaper.cycle.teams import TeamSettings, TeamVetter, vet
from reaper.errors import BadResponseError
from reaper.github import parse_seat
from reaper.logs import get_logger
from reaper.report import OrgReport

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from reaper.core.domain import Seat
    from reaper.core.policy import Policy
    from reaper.github import GitHubClient
    from reaper.store import SqlStore

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Released:
    """What releasing did: ``done`` when the person holds no grant any more."""

    done: bool
    message: str


def read_grants(
    github: GitHubClient, orgs: list[str], enterprise: str | None, login: str
) -> list[Seat]:
    """Every grant of ``login`` in the configured scopes, read now (``GitHubError`` if not)."""
    grants: list[Seat] = []
    scopes = ([enterprise_scope(enterprise)] if enterprise else []) + list(orgs)
    for scope in scopes:
        if any(g.org.casefold() == scope.casefold() for g in grants):
            continue  # the enterprise's answer already holds this org's grant
        for record_ in github.get_grants(scope, login):
            seat = parse_seat(scope, record_)
            if isinstance(seat, BadSeat):
                raise BadResponseError(f"the seat of {login} is unreadable: {seat.reason}")
            grants.append(seat)
    return grants


def release_person(
    github: GitHubClient,
    store: SqlStore,
    policy: Policy,
    *,
    orgs: list[str],
    enterprise: str | None,
    login: str,
    by: str,
    clock: Callable[[], datetime],
    sleep: Callable[[float], None] = time.sleep,
    max_cancellations: int = 1,
    teams: TeamSettings | None = None,
) -> Released:
    """Cancel every grant of ``login`` that can go per user, now, as the cycle would.

    The blast-radius limit applies: with ``REAPER_MAX_CANCELLATIONS=0`` nothing is cancelled.
    With ``teams`` (``REAPER_RECLAIM_TEAMS``) the person also leaves the named teams that grant
    them a seat, under every refusal rule, as in the cycle.
    """
    if max_cancellations < 1:
        return Released(done=False, message="REAPER_MAX_CANCELLATIONS=0: no seat may be cancelled")
    now = clock()
    grants = read_grants(github, orgs, enterprise, login)
    flags = store.flags_of(login)
    flag = flags[0] if flags else None
    home = flag.org if flag else next((g.org for g in grants), orgs[0] if orgs else "")
    person = Person(login, tuple(grants), home)
    if not person.live:
        return Released(done=True, message=f"{login} holds no Copilot seat any more")
    seat = max(person.grants, key=policy.used_at)
    reason = f"released at the person's request ({by})"
    idle = idle_days(policy.reference_at(person), now)
    decision = Decision(home, login, Action.CANCEL, reason, seat, flag, idle, None, person)
    scopes = removable(decision, {})
    plan = Plan(reports={home: OrgReport(home)}, decisions=[decision])
    vetter = TeamVetter(github, store.teams, teams or TeamSettings(), enterprise)
    (decision,), removals = vet(vetter, [decision], plan)
    if not scopes and not removals:
        why = decision.reason if decision.action is Action.NEEDS_PERSON else None
        teams_ = ", ".join(person.teams)
        return Released(
            done=False,
            message=f"{login}'s seat comes through team {teams_}: an admin must act"
            + (f" ({why})" if why else ""),
        )
    reasons = {login: reason}
    intents = removal_intents(vetter, removals, reasons, now) if removals else None
    if not store_intents(store, now, [decision], {login: scopes}, plan, removals=intents):
        return Released(done=False, message="the state store failed; nothing was sent")
    results = send_removals(vetter, removals, clock) if removals else TeamResults()
    outcomes = send_all(Canceller(github, policy, clock, sleep), {login: scopes})
    final = settle(decision, scopes, outcomes, plan, results.gone(login))
    final = team_outcome(decision, final, results, plan.reports[home])
    record(
        store,
        clock(),
        confirmed=[decision],
        grants={login: scopes},
        outcomes=outcomes,
        final={login.casefold(): final},
        plan=plan,
    )
    if removals:
        settle_teams(vetter, results, reasons, clock(), confirmed=[decision], plan=plan)
    where = ", ".join(
        [scope_label(s) for s in scopes if s in final.removed]
        + [f"team {k}" for k in sorted(results.gone(login))]
    )
    log.info("seat.released", login=login, by=by, removed=list(final.removed))
    if final.action is Action.CANCEL:
        return Released(done=True, message=f"{login}'s Copilot seat was released ({where})")
    problems = "; ".join(plan.reports[home].errors) or final.reason
    return Released(
        done=False, message=f"{login}'s seat could not be released completely: {problems}"
    )
