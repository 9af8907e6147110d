"""Sending the team removals of a live cycle: intents first, then the requests, then a re-read.

For each person ``reaper.cycle.teams.vet`` allowed: a ``team_removals`` row (and the audit
line ``team.removal_requested``) is stored before any request; then ``DELETE`` of the org
team membership, or the enterprise team's bulk removal in chunks of at most 100 (the
session paces every write a second apart, within the hourly budget). A 403 naming team
synchronisation teaches that an identity provider manages the team (``team_facts``) and
fails the rest of that team this cycle; any other refusal fails that person only. Then each
person's grants are read again: a grant the team made counts as gone only when GitHub shows
it pending cancellation (or gone). The rows are settled at the end; a row left open (the
answer was lost) is settled by the next cycle from the membership (``team_reconcile``).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

from reaper.core.domain import Action
from reaper.core.policy import keep
from reaper.core.teams import team_scope
from reaper.cycle.team_confirm import SENT, TeamResults, confirm
from reaper.errors import GitHubError, GitHubNotFoundError, GitHubUnavailableError, StateStoreError
from reaper.github.team_writes import TeamSyncManagedError, remove_member, remove_members
from reaper.logs import get_logger
from reaper.store.teams import FAILED, NOT_REMOVED, REMOVED, TeamRemoval, team_audit

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime

    from reaper.core.domain import Decision
    from reaper.cycle.teams import TeamVetter
    from reaper.report import OrgReport
    from reaper.store import AuditEntry

log = get_logger(__name__)

UNSURE = "unsure"
Removals = dict[str, tuple[str, ...]]  # login -> team keys to leave


def removal_intents(
    vetter: TeamVetter, removals: Removals, reasons: dict[str, str], now: datetime
) -> tuple[list[TeamRemoval], list[AuditEntry]]:
    """An intent per removal and its audit line, to store with the cancels' before any request."""
    rows = [TeamRemoval(key, login, now) for login, keys in removals.items() for key in keys]
    return rows, [
        team_audit(
            now,
            team_scope(r.team, vetter.enterprise),
            r.login,
            "team.removal_requested",
            team=r.team,
            why=reasons.get(r.login, ""),
        )
        for r in rows
    ]


def send_removals(
    vetter: TeamVetter,
    removals: Removals,
    clock: Callable[[], datetime],
    *,
    pages: Mapping[str, int] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> TeamResults:
    """Send every removal, team by team, then re-read the grants of everyone removed.

    ``pages`` (each list's pages, from the scan) lets the re-read take a whole list when
    that costs fewer requests than one read per person.
    """
    results = TeamResults()
    by_team: dict[str, list[str]] = {}
    for login, keys in removals.items():
        for key in keys:
            by_team.setdefault(key, []).append(login)
    for key, logins in by_team.items():
        if key.startswith("ent:"):
            _send_enterprise(vetter, key, logins, results, clock)
        else:
            _send_org(vetter, key, logins, results, clock)
    confirm(vetter.github, vetter.enterprise, results, pages or {}, sleep)
    return results


def _send_org(
    vetter: TeamVetter,
    key: str,
    logins: list[str],
    results: TeamResults,
    clock: Callable[[], datetime],
) -> None:
    ref = vetter.settings.ref(key)
    managed: str | None = None
    for login in logins:
        if managed is not None:  # learnt this cycle: nothing more is sent to the team
            results.outcomes[login, key] = (NOT_REMOVED, managed)
            continue
        try:
            remove_member(vetter.github.session, ref, login)
        except TeamSyncManagedError:
            managed = _learn_idp(vetter, key, clock)
            results.outcomes[login, key] = (NOT_REMOVED, managed)
        except GitHubNotFoundError:
            results.outcomes[login, key] = (NOT_REMOVED, f"not a member of team {ref.label}")
        except GitHubUnavailableError as exc:
            results.outcomes[login, key] = (UNSURE, str(exc))
        except GitHubError as exc:
            results.outcomes[login, key] = (FAILED, str(exc))
        else:
            log.info("team.removal_accepted", team=ref.label, login=login)
            results.outcomes[login, key] = (SENT, "")


def _learn_idp(vetter: TeamVetter, key: str, clock: Callable[[], datetime]) -> str:
    """Remember that an identity provider manages team ``key``; the reason to report."""
    label = vetter.settings.ref(key).label
    log.error("team.idp_managed", team=label)
    try:
        vetter.ledger.learn_idp_managed(key, clock())
    except StateStoreError as exc:
        log.error("store.team_fact_not_recorded", team=label, error=str(exc))
    return (
        f"team {label} is kept in sync with an identity provider (GitHub refused the removal "
        "for team synchronisation): remove the people in the identity provider"
    )


def _send_enterprise(
    vetter: TeamVetter,
    key: str,
    logins: list[str],
    results: TeamResults,
    clock: Callable[[], datetime],
) -> None:
    ref = vetter.settings.ref(key)
    for start in range(0, len(logins), 100):
        chunk = logins[start : start + 100]
        try:
            gone = remove_members(vetter.github.session, ref, chunk, enterprise=vetter.enterprise)
        except TeamSyncManagedError:
            managed = _learn_idp(vetter, key, clock)
            results.outcomes.update(((n, key), (NOT_REMOVED, managed)) for n in logins[start:])
            return
        except GitHubUnavailableError as exc:
            results.outcomes.update(((n, key), (UNSURE, str(exc))) for n in chunk)
            continue
        except GitHubError as exc:
            results.outcomes.update(((n, key), (FAILED, str(exc))) for n in chunk)
            continue
        for login in chunk:
            if login.casefold() in gone:
                log.info("team.removal_accepted", team=ref.label, login=login)
                results.outcomes[login, key] = (SENT, "")
            else:
                results.outcomes[login, key] = (NOT_REMOVED, f"not a member of team {ref.label}")


def settle_removals(
    vetter: TeamVetter, results: TeamResults, reasons: dict[str, str], at: datetime
) -> str | None:
    """Close the intents of the removals whose outcome is known; the store's error if any."""
    closing, audit = [], []
    events = {REMOVED: "team.member_removed", NOT_REMOVED: "team.not_removed"}
    for (login, key), (outcome, detail) in results.outcomes.items():
        if outcome == UNSURE:
            continue
        closing.append((key, login, outcome))
        why = detail or reasons.get(login, "")
        event = events.get(outcome, "team.removal_failed")
        audit.append(
            team_audit(at, team_scope(key, vetter.enterprise), login, event, team=key, why=why)
        )
    try:
        vetter.ledger.settle(closing, at, audit)
    except StateStoreError as exc:
        log.error("store.team_removal_not_recorded", error=str(exc))
        return str(exc)
    return None


def team_outcome(d: Decision, final: Decision, results: TeamResults, report: OrgReport) -> Decision:
    """The person's final decision once their team removals are known.

    A failed removal keeps the flag (reported); a refused one, or a grant still live after
    the removal, leaves a person needing a person, with that reason.
    """
    if _report_problems(d, results, report):
        return keep(final, "team removal failed, kept for the next cycle")
    refused = [detail for _, outcome, detail in results.problems(d.login) if outcome == NOT_REMOVED]
    live = sorted(key for who, key in results.still_live if who == d.login)
    if final.action is not Action.NEEDS_PERSON or not (refused or live):
        return final
    why = refused + [f"removed from team {key}, but its seat grant is still live" for key in live]
    return replace(final, reason="; ".join(why))


def _report_problems(d: Decision, results: TeamResults, report: OrgReport) -> bool:
    """Report each removal of ``d``'s person that failed; tell whether any did."""
    failed = False
    for key, outcome, detail in results.problems(d.login):
        if outcome in (FAILED, UNSURE):
            failed = True
            later = "; the next cycle checks whether it went through" if outcome == UNSURE else ""
            log.error("team.removal_failed", team=key, login=d.login, error=detail)
            report.fail(f"removing {d.login} from team {key} failed, flag kept: {detail}{later}")
    if d.login in results.unread:
        failed = True
        report.fail(
            f"{d.login} was removed from a team but could not be re-read, flag kept: "
            f"{results.unread[d.login]}"
        )
    return failed
