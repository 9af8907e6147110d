"""Reconciling team removals: removals that were sent but never recorded as done or not.

A ``team_removals`` row is stored before the request and settled after it. A row still open
at the start of a cycle means the process or the store died in between: the membership is
read again (never a second removal request). No membership: the removal went through, and
it is recorded as ``removed``. Still a member: it did not, and the row closes as ``not
removed``; the cycle decides again on the person. A membership that cannot be read keeps the
row open for the next cycle. The flag is left to the cycle, which decides on every grant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reaper.core.teams import parse_team_ref, team_scope
from reaper.errors import GitHubError
from reaper.github.teams import membership
from reaper.logs import get_logger
from reaper.report import OrgReport
from reaper.store.teams import NOT_REMOVED, REMOVED, team_audit

if TYPE_CHECKING:
    from datetime import datetime

    from reaper.github import GitHubClient
    from reaper.store import SqlStore
    from reaper.store.teams import TeamRemoval

log = get_logger(__name__)


def reconcile_teams(
    github: GitHubClient,
    store: SqlStore,
    enterprise: str | None,
    now: datetime,
    reports: dict[str, OrgReport],
) -> None:
    """Settle every open team removal from a fresh read of the membership."""
    ledger = store.teams
    for removal in ledger.unresolved():
        scope = team_scope(removal.team, enterprise)
        report = reports.setdefault(scope, OrgReport(scope))
        try:
            ref = parse_team_ref(removal.team)
            found = membership(github.session, ref, removal.login, enterprise)
        except (GitHubError, ValueError) as exc:
            report.note_error(
                f"could not check the removal of {removal.login} from team {removal.team}: {exc}"
            )
            log.warning("team.removal_unresolved", team=removal.team, login=removal.login)
            continue
        gone = not found.found or found.state == "pending"
        _record(ledger_store=store, removal=removal, scope=scope, now=now, gone=gone)
        if gone:
            report.teams_removed[removal.team] = report.teams_removed.get(removal.team, 0) + 1


def _record(
    *, ledger_store: SqlStore, removal: TeamRemoval, scope: str, now: datetime, gone: bool
) -> None:
    sent = f"{removal.requested_at:%Y-%m-%d %H:%M} UTC"
    learnt = f"{now:%Y-%m-%d %H:%M} UTC"
    if gone:
        why = f"removal sent {sent}, confirmed on re-read {learnt}"
        event, outcome = "team.member_removed", REMOVED
    else:
        why = f"removal sent {sent} did not take effect (re-read {learnt}); flag kept"
        event, outcome = "team.not_removed", NOT_REMOVED
    ledger_store.teams.settle(
        [(removal.team, removal.login, outcome)],
        now,
        [team_audit(now, scope, removal.login, event, team=removal.team, why=why)],
    )
    log.info("team.reconciled", team=removal.team, login=removal.login, outcome=outcome)
