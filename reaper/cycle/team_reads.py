"""One cycle's reads of teams, shared by the team removals and the who-can step.

The removal step (``reaper.cycle.teams``) and the who-can step (``reaper.cycle.who_can``)
look at the same teams and, for the people a removal refused, at the same memberships. A
``TeamReads`` made once a cycle remembers each team's facts, each child team's members, each
team's member lists (when read whole) and each membership it read, so that no team and no
membership is read twice in a cycle. A failed read is remembered too and raised again:
asking again in the same cycle would only repeat the failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from reaper.core.teams import Membership, TeamFacts, TeamRef
from reaper.errors import GitHubError
from reaper.github.teams import child_team_members, membership, read_team_facts

if TYPE_CHECKING:
    from reaper.github.session import GitHubSession


@dataclass
class TeamReads:
    """A per-cycle memory of team reads: facts, child teams, member lists, memberships."""

    session: GitHubSession
    enterprise: str | None = None
    _facts: dict[str, TeamFacts | GitHubError] = field(default_factory=dict)
    _children: dict[str, set[str] | GitHubError] = field(default_factory=dict)
    _listed: dict[str, dict[str, str]] = field(default_factory=dict)  # team: login -> role
    _members: dict[tuple[str, str], Membership | GitHubError] = field(default_factory=dict)

    def facts(self, ref: TeamRef) -> TeamFacts:
        """The team's facts, read once a cycle; a failed read raises its error again."""
        if ref.key not in self._facts:
            try:
                self._facts[ref.key] = read_team_facts(
                    self.session, ref, enterprise=self.enterprise
                )
            except GitHubError as exc:
                self._facts[ref.key] = exc
        return _value(self._facts[ref.key])

    def child_members(self, ref: TeamRef, child: str) -> set[str]:
        """The case-folded logins of org team ``ref``'s child team ``child``, read once."""
        key = f"{ref.org}/{child}".casefold()
        if key not in self._children:
            try:
                self._children[key] = child_team_members(self.session, ref, child)
            except GitHubError as exc:
                self._children[key] = exc
        return _value(self._children[key])

    def knows(self, ref: TeamRef, login: str | None = None) -> bool:
        """Tell whether the team (or ``login``'s membership of it) was read this cycle."""
        if login is None:
            return ref.key in self._facts
        key = login.casefold()
        return key in self._listed.get(ref.key, {}) or (ref.key, key) in self._members

    def listed(self, ref: TeamRef, members: dict[str, str]) -> None:
        """Remember the team's whole member lists (case-folded login -> role)."""
        self._listed[ref.key] = members

    def membership(self, ref: TeamRef, login: str) -> Membership:
        """``login``'s membership of ``ref``: from the team's lists, else read once a cycle."""
        role = self._listed.get(ref.key, {}).get(login.casefold())
        if role is not None:
            return Membership(found=True, role=role)
        key = (ref.key, login.casefold())
        if key not in self._members:
            try:
                self._members[key] = membership(self.session, ref, login, self.enterprise)
            except GitHubError as exc:
                self._members[key] = exc
        return _value(self._members[key])


_T = TypeVar("_T")


def _value(found: _T | GitHubError) -> _T:
    if isinstance(found, GitHubError):
        raise found
    return found
