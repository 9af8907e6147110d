"""Who can reclaim the idle people no one can: the teams holding them, read once a cycle.

After the report's lists are filled, each person who ``needs a person`` is looked at through
the teams that grant them a live seat. Each such team is read once a cycle
(``read_team_facts``: IdP sync, EMU groups, repositories, child teams), together with what
refused removals taught (``team_facts``: ``idp_managed``); a person in a named team that
removals may be sent to is looked at alone (membership, child teams). The ``Hold``s go on
the person's report entry, for the grouped report and the CSV and JSON. Reads only, in a dry
run too; at most ``max_teams`` teams and ``max_memberships`` memberships a cycle, the rest
reported as not read; a failed read never fails the cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from reaper.core.domain import Action
from reaper.core.holds import not_read, person_hold, team_hold, unreadable
from reaper.core.teams import TeamFacts, TeamRef, grant_ref
from reaper.cycle.team_reads import TeamReads
from reaper.errors import DeadlineExceededError, GitHubError, ReaperError
from reaper.logs import get_logger

if TYPE_CHECKING:
    from reaper.core.holds import Hold
    from reaper.cycle.plan import Plan
    from reaper.github import GitHubClient
    from reaper.store import SqlStore

log = get_logger(__name__)


@dataclass
class WhoCan:
    """The settings it needs: the named teams, maintainers, the enterprise, the read budget."""

    named: tuple[TeamRef, ...] = ()
    reclaim_maintainers: bool = False
    enterprise: str | None = None
    max_teams: int = 50
    max_memberships: int = 500

    def attach(
        self, github: GitHubClient, store: SqlStore, plan: Plan, shared: TeamReads | None = None
    ) -> None:
        """Put on each ``needs a person`` entry the teams holding the person, and why.

        ``shared``: what the team removals already read this cycle, not read again.
        """
        people = {
            d.login.casefold(): d.person
            for d in plan.decisions
            if d.action is Action.NEEDS_PERSON and d.person is not None
        }
        if not people:
            return
        try:
            learnt = store.teams.idp_managed()
        except ReaperError as exc:
            log.warning("team.facts_unread", error=str(exc))
            learnt = frozenset()
        reads = _Reads(self, shared or TeamReads(github.session, self.enterprise), learnt)
        holds: dict[str, tuple[Hold, ...]] = {}
        for key, person in people.items():
            refs = {ref.key: ref for g in person.live if (ref := grant_ref(g)) is not None}
            holds[key] = tuple(reads.hold(ref, person.login) for ref in refs.values())
        for report in plan.reports.values():
            report.needs_person = [
                replace(e, holds=holds.get(e.login.casefold(), ())) for e in report.needs_person
            ]


@dataclass
class _Reads:
    """One cycle's reads: each team once, each child team's members once."""

    who: WhoCan
    shared: TeamReads
    learnt: frozenset[str]  # teams a refused removal taught are managed by an IdP
    facts: dict[str, TeamFacts | str] = field(default_factory=dict)
    teams: int = 0  # teams read by this step (what the removals read is free)
    memberships: int = 0
    stopped: str | None = None  # why no more is read this cycle (out of time)
    skipped: set[str] = field(default_factory=set)  # teams left unread, within the budget

    def hold(self, ref: TeamRef, login: str) -> Hold:
        named = any(r.key == ref.key for r in self.who.named)
        facts = self._facts(ref)
        if isinstance(facts, str):
            if ref.key in self.skipped and named:
                return not_read(ref, facts)
            return unreadable(ref, facts, named=named)
        held = team_hold(facts, named=named)
        if held is not None:
            return held
        return self._person(ref, facts, login)

    def _facts(self, ref: TeamRef) -> TeamFacts | str:
        if ref.key in self.facts:
            return self.facts[ref.key]
        if not self.shared.knows(ref):
            if self.stopped is not None or self.teams >= self.who.max_teams:
                self.skipped.add(ref.key)
                return self.stopped or f"more than {self.who.max_teams} teams hold idle people"
            self.teams += 1
        try:
            facts: TeamFacts | str = self.shared.facts(ref)
        except DeadlineExceededError as exc:
            self.stopped = f"the cycle ran out of time: {exc}"
            self.skipped.add(ref.key)
            return self.stopped
        except GitHubError as exc:
            log.warning("team.unreadable", team=ref.label, error=str(exc))
            facts = str(exc)
        if not isinstance(facts, str) and ref.key in self.learnt:
            facts = replace(facts, remembered_idp=True)
        self.facts[ref.key] = facts
        return facts

    def _person(self, ref: TeamRef, facts: TeamFacts, login: str) -> Hold:
        if not self.shared.knows(ref, login):
            if self.stopped is not None:
                return not_read(ref, self.stopped)
            if self.memberships >= self.who.max_memberships:
                return not_read(ref, f"more than {self.who.max_memberships} memberships to read")
            self.memberships += 1
        try:
            found = self.shared.membership(ref, login)
            for child in facts.child_teams if found.found else ():
                if login.casefold() in self.shared.child_members(ref, child):
                    found = replace(found, via_child=child)
                    break
        except DeadlineExceededError as exc:
            self.stopped = f"the cycle ran out of time: {exc}"
            return not_read(ref, self.stopped)
        except GitHubError as exc:
            log.warning("team.unreadable", team=ref.label, login=login, error=str(exc))
            return unreadable(ref, str(exc), named=True)
        return person_hold(ref, found, reclaim_maintainers=self.who.reclaim_maintainers)
