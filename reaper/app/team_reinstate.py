"""``reaper reinstate`` for team removals: put a person back into the teams the reaper left.

For each removal of the person that GitHub confirmed and nobody undid (``team_removals``),
``PUT /orgs/{org}/teams/{slug}/memberships/{login}`` with role ``member`` (an organisation
team) or ``PUT /enterprises/{enterprise}/teams/{slug}/memberships/{login}`` (an enterprise
team); then, in one transaction, the row is marked reinstated, the ``team.reinstated`` audit
entry says who asked and why, the person's flags go and the exemption of
``REAPER_REINSTATE_EXEMPT_DAYS`` starts, exactly as for a seat given back. A refusal (403,
404, 422) fails that person only: it is audited (``team.reinstate_refused``) and said.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reaper.core.teams import parse_team_ref, team_scope
from reaper.cycle.seating import github_reason
from reaper.errors import (
    GitHubAuthError,
    GitHubNotFoundError,
    GitHubUnprocessableError,
    ReaperError,
)
from reaper.github.team_writes import add_member
from reaper.logs import get_logger
from reaper.redact import scrub
from reaper.store import Exemption
from reaper.store.teams import team_audit

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from typing import TextIO

    from reaper.config.settings import Settings
    from reaper.core.teams import TeamRef
    from reaper.github import GitHubClient
    from reaper.store import SqlStore
    from reaper.store.team_reinstates import OpenRemoval

log = get_logger(__name__)

ADDED_BACK = "team.reinstated"
REFUSED = "team.reinstate_refused"
#: Login -> the person's open removals to undo.
TeamPlan = dict[str, list["OpenRemoval"]]


def seat_scopes(fixed: str | None, taken: list[str], in_teams: bool) -> list[str]:
    """Where a person's seat goes back: ``taken`` (from the audit log), or ``fixed``.

    With ``--org``/``--enterprise`` for a person removed from a team there, the team brings
    the seat back: no direct seat is added too, unless the audit log shows one was cancelled.
    """
    if fixed is None:
        return taken
    return [fixed] if not in_teams or fixed in taken else []


def team_plan(
    store: SqlStore, logins: list[str], fixed: str | None, enterprise: str | None
) -> TeamPlan:
    """Each person's open team removals (only those in scope ``fixed``, when given)."""
    reinstates = store.team_reinstates()
    plan: TeamPlan = {}
    for login in logins:
        rows = [
            row
            for row in reinstates.open_removals(login)
            if fixed is None or team_scope(row.team, enterprise).casefold() == fixed.casefold()
        ]
        if rows:
            plan[login] = rows
    return plan


def say_teams(out: TextIO, plan: TeamPlan, exempt: str) -> None:
    """The dry run's lines: ``would add LOGIN back to team acme/eng, exempt until …``."""
    for login, rows in plan.items():
        for row in rows:
            say(out, f"would add {login} back to team {row.team}, {exempt}")


def say(stream: TextIO, text: str) -> None:
    """One line to the admin's terminal, secrets scrubbed, flushed at once."""
    stream.write(scrub(text) + "\n")
    stream.flush()


@dataclass
class TeamReinstater:
    """Puts the planned people back into their teams, recording each as soon as it lands.

    ``exempt`` is (until, words) or ``None`` when ``REAPER_REINSTATE_EXEMPT_DAYS`` is 0.
    """

    settings: Settings
    by: str  # who asked
    reason: str  # why
    store: SqlStore
    out: TextIO
    err: TextIO
    clock: Callable[[], datetime]
    exempt_words: Callable[[datetime], tuple[datetime | None, str]]

    def run(self, client: GitHubClient, plan: TeamPlan) -> int:
        """Add every planned person back; the number not added back (refused or stopped)."""
        failed = 0
        left = [(login, row) for login, rows in plan.items() for row in rows]
        for done, (login, row) in enumerate(left):
            try:
                failed += self._one(client, login, row)
            except ReaperError as exc:
                log.error("team.reinstate_stopped", error=str(exc), not_done=len(left) - done)
                say(self.err, f"reaper reinstate: stopped: {exc}")
                rest = ", ".join(f"{name} to team {r.team}" for name, r in left[done:])
                say(self.err, f"not added back, or not recorded (run it again): {rest}")
                return failed + len(left) - done
        return failed

    def _one(self, client: GitHubClient, login: str, row: OpenRemoval) -> int:
        ref = parse_team_ref(row.team)
        enterprise = self.settings.github_enterprise
        scope = team_scope(row.team, enterprise)
        asked = f"asked by {self.by}: {self.reason}"
        if ref.enterprise and enterprise is None:
            return self._refused(scope, login, ref, asked, "REAPER_GITHUB_ENTERPRISE is not set")
        try:
            add_member(client.session, ref, row.login, enterprise=enterprise)
        except (GitHubNotFoundError, GitHubUnprocessableError) as exc:
            return self._refused(scope, login, ref, asked, github_reason(exc))
        except GitHubAuthError as exc:
            if exc.status != 403:  # a 401 is the token itself: stop
                raise
            return self._refused(scope, login, ref, asked, github_reason(exc))
        now = self.clock()
        until, words = self.exempt_words(now)
        exempt = [Exemption(login, until, self.reason, self.by, now)] if until else []
        self.store.team_reinstates().mark_reinstated(
            row,
            now,
            audit=[
                team_audit(now, scope, login, ADDED_BACK, team=ref.label, why=f"{asked}, {words}")
            ],
            remove=self.store.flags_of(login),
            exempt=exempt,
        )
        log.info(ADDED_BACK, org=scope, team=ref.label, login=login, by=self.by)
        say(self.out, f"added {login} back to team {ref.label}, {words}")
        return 0

    def _refused(self, scope: str, login: str, ref: TeamRef, asked: str, why: str) -> int:
        now = self.clock()
        entry = team_audit(
            now, scope, login, REFUSED, team=ref.label, why=f"{asked}; GitHub: {why}"
        )
        self.store.commit(audit=[entry])
        log.warning(REFUSED, org=scope, team=ref.label, login=login, by=self.by, error=why)
        say(self.err, f"GitHub will not add {login} back to team {ref.label}: {why}")
        return 1
