"""Which due persons may be removed from the teams of ``REAPER_RECLAIM_TEAMS``, and from which.

Once a cycle per team, ``TeamVetter`` reads what GitHub says about the team (team sync, EMU
groups, an enterprise team's IdP group, repositories, child teams; ``reaper.github.teams``)
and adds what an earlier refused removal taught (``team_facts``); the pure rules of
``reaper.core.teams`` decide. Then, per person, their membership is read: a maintainer
(unless ``REAPER_RECLAIM_TEAM_MAINTAINERS=true``), a member through a child team, a pending
invitation or no membership at all is not removed, and the reason is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from reaper.core.domain import Action, Decision
from reaper.core.teams import (
    Refusal,
    TeamRef,
    member_refusal,
    promote,
    team_grants,
    team_note,
    team_refusal,
)
from reaper.cycle.team_reads import TeamReads
from reaper.errors import GitHubError
from reaper.github.app_permissions import team_permission_problem
from reaper.github.teams import members_by_role
from reaper.logs import get_logger

if TYPE_CHECKING:
    from reaper.core.teams import TeamFacts
    from reaper.cycle.plan import Plan
    from reaper.github import GitHubClient
    from reaper.store.teams import TeamLedger

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class TeamSettings:
    """``REAPER_RECLAIM_TEAMS`` and ``REAPER_RECLAIM_TEAM_MAINTAINERS``, for the cycle."""

    refs: tuple[TeamRef, ...] = ()
    maintainers: bool = False

    @property
    def keys(self) -> frozenset[str]:
        """The case-folded keys of the named teams (``org/slug``, ``ent:slug``)."""
        return frozenset(ref.key for ref in self.refs)

    def ref(self, key: str) -> TeamRef:
        """The named team of a key."""
        return next(ref for ref in self.refs if ref.key == key)


def promote_all(plan: Plan, teams: TeamSettings | None) -> None:
    """Turn the due persons held only by named teams (and direct grants) into removals."""
    if teams is None or not teams.refs:
        return
    keys = teams.keys
    plan.decisions = [_noted(promote(d, keys, plan.fixed), keys) for d in plan.decisions]


def preview(vetter: TeamVetter, plan: Plan) -> None:
    """A dry run's removals: the reads and refusals of a live run, and no write at all.

    Each due person refused by a team needs a person, with the reason, as in a live run; the
    others say which teams a live run would remove them from.
    """
    acted, removals = vet(vetter, plan.decisions, plan)
    plan.decisions = [_would(d, removals.get(d.login, ())) for d in acted]


def _noted(d: Decision, keys: frozenset[str]) -> Decision:
    """A person flagged (or waiting out the grace period) learns which team they will leave."""
    if d.action not in {Action.FLAG, Action.IN_GRACE}:
        return d
    held = team_grants(d.person, keys)
    if not held:
        return d
    return replace(d, reason=f"{d.reason}; {team_note(sorted(held))}")


def _would(d: Decision, teams: tuple[str, ...]) -> Decision:
    if d.action is not Action.CANCEL or not teams:
        return d
    return replace(d, reason=f"{d.reason}; would remove from team {', '.join(sorted(teams))}")


@dataclass
class TeamVetter:
    """Decides, once a cycle per team and once per person, where a removal may be sent."""

    github: GitHubClient
    ledger: TeamLedger
    settings: TeamSettings
    enterprise: str | None
    _refusals: dict[str, Refusal | None] = field(default_factory=dict)
    _children: dict[str, dict[str, str]] = field(default_factory=dict)
    _learnt: frozenset[str] | None = None
    _facts: dict[str, TeamFacts] = field(default_factory=dict)
    reads: TeamReads | None = None  # the cycle's team reads, shared with the who-can step

    _reads: TeamReads = field(init=False)

    def __post_init__(self) -> None:
        self._reads = self.reads or TeamReads(self.github.session, self.enterprise)

    def prime(self, key: str, logins: list[str]) -> None:
        """Read an org team's member lists once when that is cheaper than a read per person.

        A person on a list is an active member with that role; anyone else is read alone
        (a pending invitation, or no membership).
        """
        if self.team_refusal(key) is not None:
            return
        facts = self._facts.get(key)
        if facts is None or facts.ref.enterprise or facts.members is None:
            return
        if 2 * max(1, -(-facts.members // 100)) >= len(logins):
            return
        try:
            listed = {
                login: role
                for role in ("member", "maintainer")
                for login in members_by_role(self.github.session, facts.ref, role)
            }
        except GitHubError as exc:
            log.warning("team.members_unread", team=facts.ref.label, error=str(exc))
            return
        self._reads.listed(facts.ref, listed)

    def team_refusal(self, key: str) -> Refusal | None:
        """Why nothing may be removed from team ``key`` this cycle; ``None`` when it may."""
        if key not in self._refusals:
            self._refusals[key] = self._decide_team(key)
        return self._refusals[key]

    def _decide_team(self, key: str) -> Refusal | None:
        ref = self.settings.ref(key)
        if self._learnt is None:
            self._learnt = self.ledger.idp_managed()
        try:
            lacking = team_permission_problem(self.github.auth, ref.org) if ref.org else None
            if lacking is not None:
                log.warning("team.refused", team=ref.label, code="no_permission")
                return Refusal("no_permission", f"team {ref.label}: {lacking}")
            facts = replace(self._reads.facts(ref), remembered_idp=key in self._learnt)
            self._facts[key] = facts
            refusal = team_refusal(facts)
            if refusal is None:
                self._children[key] = {
                    login: child
                    for child in facts.child_teams
                    for login in self._reads.child_members(ref, child)
                }
        except GitHubError as exc:
            refusal = Refusal(
                "idp_unknown", f"team {ref.label} could not be read ({exc}); nothing is removed"
            )
        if refusal is not None:
            log.warning("team.refused", team=ref.label, code=refusal.code)
        return refusal

    def member_refusal(self, key: str, login: str) -> Refusal | None:
        """Why ``login`` may not be removed from team ``key``; ``None`` when they may."""
        refused = self.team_refusal(key)
        if refused is not None:
            return refused
        ref = self.settings.ref(key)
        try:
            found = self._reads.membership(ref, login)
        except GitHubError as exc:
            return Refusal("idp_unknown", f"membership of team {ref.label} unreadable: {exc}")
        child = self._children.get(key, {}).get(login.casefold())
        if child is not None and found.found:
            found = replace(found, via_child=child)
        return member_refusal(ref, found, reclaim_maintainers=self.settings.maintainers)


def vet(
    vetter: TeamVetter, decisions: list[Decision], plan: Plan
) -> tuple[list[Decision], dict[str, tuple[str, ...]]]:
    """Split the due persons: the decisions to act on, and each one's teams to leave.

    A person whose every grant comes from teams, one of which refuses, needs a person (the
    refusal is the reason); a person who also holds a direct grant is still cancelled there.
    """
    acted: list[Decision] = []
    removals: dict[str, tuple[str, ...]] = {}
    wanted: dict[str, list[str]] = {}
    for d in decisions:
        for key in team_grants(d.person, vetter.settings.keys) if d.action is Action.CANCEL else {}:
            wanted.setdefault(key, []).append(d.login)
    for key, logins in wanted.items():
        vetter.prime(key, logins)
    for d in decisions:
        held = team_grants(d.person, vetter.settings.keys) if d.action is Action.CANCEL else {}
        verdicts = {key: vetter.member_refusal(key, d.login) for key in held}
        refusals = [r for r in verdicts.values() if r is not None]
        allowed = tuple(key for key, r in verdicts.items() if r is None)
        if refusals and d.person is not None and all(g.assigning_team for g in d.person.live):
            why = "; ".join(dict.fromkeys(r.text for r in refusals))
            log.info("team.removal_refused", login=d.login, reason=why)
            acted.append(replace(d, action=Action.NEEDS_PERSON, reason=why))
            continue
        if refusals:  # the direct grants still go; the report says why the team stays
            plan.reports[d.org].notes.append(
                f"{d.login} not removed from a team: "
                + "; ".join(dict.fromkeys(r.text for r in refusals))
            )
        acted.append(d)
        if allowed:
            removals[d.login] = allowed
    return acted, removals
