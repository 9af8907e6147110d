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

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reaper.core.domain import BadSeat, enterprise_scope
from reaper.core.teams import grant_team, team_grants
from reaper.errors import GitHubError, GitHubNotFoundError, GitHubUnavailableError, StateStoreError
from reaper.github import parse_seat
from reaper.github.team_writes import TeamSyncManagedError, remove_member, remove_members
from reaper.logs import get_logger
from reaper.store import AuditEntry
from reaper.store.teams import FAILED, NOT_REMOVED, REMOVED, TeamRemoval

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from reaper.core.domain import Decision
    from reaper.cycle.teams import TeamVetter
    from reaper.github import GitHubClient
    from reaper.report import OrgReport

log = get_logger(__name__)

SENT, UNSURE = "sent", "unsure"
Removals = dict[str, tuple[str, ...]]  # login -> team keys to leave


def scope_of(key: str, enterprise: str | None) -> str:
    """The scope (org login, or ``enterprise:<slug>``) a team key grants seats in."""
    if key.startswith("ent:"):
        return enterprise_scope(enterprise or "")
    return key.partition("/")[0]


@dataclass
class TeamResults:
    """What happened to each (login, team key): an outcome and a detail."""

    outcomes: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    still_live: set[tuple[str, str]] = field(default_factory=set)
    unread: dict[str, str] = field(default_factory=dict)  # login -> why the re-read failed

    def gone(self, login: str) -> frozenset[str]:
        """The team keys whose grant of ``login`` is confirmed gone."""
        return frozenset(
            key
            for (who, key), (outcome, _) in self.outcomes.items()
            if who == login and outcome == REMOVED and (who, key) not in self.still_live
        )

    def problems(self, login: str) -> list[tuple[str, str, str]]:
        """(team key, outcome, detail) of every removal of ``login`` that did not go through."""
        return [
            (key, outcome, detail)
            for (who, key), (outcome, detail) in self.outcomes.items()
            if who == login and outcome != REMOVED
        ]


def store_removals(
    vetter: TeamVetter, removals: Removals, reasons: dict[str, str], now: datetime
) -> str | None:
    """Store an intent per removal before any request; the store's error when that fails."""
    rows = [TeamRemoval(key, login, now) for login, keys in removals.items() for key in keys]
    audit = [
        AuditEntry(
            now,
            scope_of(r.team, vetter.enterprise),
            r.login,
            "team.removal_requested",
            f"team {r.team}: {reasons.get(r.login, '')}",
        )
        for r in rows
    ]
    try:
        vetter.ledger.open(rows, audit)
    except StateStoreError as exc:
        log.error("team.removal_not_sent", reason="intent not stored", error=str(exc))
        return str(exc)
    return None


def send_removals(
    vetter: TeamVetter, removals: Removals, clock: Callable[[], datetime]
) -> TeamResults:
    """Send every removal, team by team, then re-read the grants of everyone removed."""
    results = TeamResults()
    by_team: dict[str, list[str]] = {}
    for login, keys in removals.items():
        for key in keys:
            by_team.setdefault(key, []).append(login)
    for key, logins in by_team.items():
        if key.startswith("ent:"):
            _send_enterprise(vetter, key, logins, results)
        else:
            _send_org(vetter, key, logins, results, clock)
    _confirm(vetter.github, vetter.enterprise, results)
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
        if managed is not None:
            results.outcomes[login, key] = (FAILED, managed)
            continue
        try:
            remove_member(vetter.github.session, ref, login)
        except TeamSyncManagedError as exc:
            managed = f"team {ref.label} is managed by team synchronisation (IdP): {exc}"
            vetter.ledger.learn_idp_managed(key, clock())
            log.error("team.idp_managed", team=ref.label)
            results.outcomes[login, key] = (FAILED, managed)
        except GitHubNotFoundError:
            results.outcomes[login, key] = (NOT_REMOVED, f"not a member of team {ref.label}")
        except GitHubUnavailableError as exc:
            results.outcomes[login, key] = (UNSURE, str(exc))
        except GitHubError as exc:
            results.outcomes[login, key] = (FAILED, str(exc))
        else:
            log.info("team.removal_accepted", team=ref.label, login=login)
            results.outcomes[login, key] = (SENT, "")


def _send_enterprise(vetter: TeamVetter, key: str, logins: list[str], results: TeamResults) -> None:
    ref = vetter.settings.ref(key)
    for start in range(0, len(logins), 100):
        chunk = logins[start : start + 100]
        try:
            gone = remove_members(vetter.github.session, ref, chunk, enterprise=vetter.enterprise)
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


def _confirm(github: GitHubClient, enterprise: str | None, results: TeamResults) -> None:
    """Read again the grants of every person removed, to see whether the team's grant is live."""
    sent: dict[str, set[str]] = {}
    for (login, key), (outcome, _) in results.outcomes.items():
        if outcome == SENT:
            sent.setdefault(login, set()).add(key)
    for login, keys in sent.items():
        for scope in {scope_of(k, enterprise) for k in keys}:
            try:
                records = github.get_grants(scope, login)
            except GitHubError as exc:
                results.unread[login] = str(exc)
                continue
            for record in records:
                seat = parse_seat(scope, record)
                if isinstance(seat, BadSeat):
                    results.unread[login] = f"the re-read record is unreadable: {seat.reason}"
                elif seat.live and grant_team(seat) in keys:
                    results.still_live.add((login, grant_team(seat) or ""))
        for key in keys:
            results.outcomes[login, key] = (REMOVED, "")


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
        audit.append(
            AuditEntry(
                at,
                scope_of(key, vetter.enterprise),
                login,
                events.get(outcome, "team.removal_failed"),
                f"team {key}: {why}",
            )
        )
    try:
        vetter.ledger.settle(closing, at, audit)
    except StateStoreError as exc:
        log.error("store.team_removal_not_recorded", error=str(exc))
        return str(exc)
    return None


def report_problems(d: Decision, results: TeamResults, report: OrgReport) -> bool:
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


def team_costs(reclaim: frozenset[str], d: Decision) -> tuple[str, ...]:
    """The team requests of one due person, as write "scopes" for ``reaper.core.budget``.

    Each name is one request unless shared: an org team costs the membership read, the
    ``DELETE`` and the re-read per person; an enterprise team the read and the re-read per
    person, and one bulk request per 100 persons (the shared name).
    """
    costs: list[str] = []
    for key in team_grants(d.person, reclaim):
        costs += [f"team-read:{key}:{d.login}", f"team-reread:{key}:{d.login}"]
        costs.append(
            f"team-bulk:{key}" if key.startswith("ent:") else f"team-delete:{key}:{d.login}"
        )
    return tuple(costs)
