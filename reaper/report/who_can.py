"""Where no one can reclaim, say who can: the idle people who need a person, by what holds them.

Each person who ``needs a person`` carries the teams holding them (``Entry.holds``, see
``reaper.core.holds``). Here they are grouped by team and reason, each group counted and
priced as the report prices seats (a person held by two teams counts in both), the dearest
first, with what would let someone reclaim them: e.g. "team acme/eng-all, kept in sync with
IdP group 'Engineering': 40 idle people, USD 760 a month: remove them in the identity
provider". Plain text: a renderer escapes each line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reaper.core.teams import ENTERPRISE_PREFIX
from reaper.report.summary import money

if TYPE_CHECKING:
    from reaper.core.holds import Hold
    from reaper.report.model import CycleReport, Entry
    from reaper.report.summary import Prices

TITLE = "Who can reclaim the people who need a person"


@dataclass(frozen=True, slots=True)
class Group:
    """Idle people held by one team for one reason: how many, and what they cost a month."""

    hold: Hold
    people: int
    cost: float


def groups(report: CycleReport, prices: Prices) -> list[Group]:
    """Every team and reason holding idle people, the dearest first, then by team."""
    held: dict[tuple[str, str, str | None], tuple[Hold, list[Entry]]] = {}
    for entry in report.entries("needs_person"):
        for hold in entry.holds:
            key = (hold.team, hold.code, hold.child)
            held.setdefault(key, (hold, []))[1].append(entry)
    found = [Group(hold, len(entries), prices.total(entries)) for hold, entries in held.values()]
    return sorted(found, key=lambda g: (-g.cost, g.hold.team, g.hold.code))


def _team(label: str) -> str:
    """``team acme/eng`` or ``enterprise team ent:all-devs``."""
    return f"enterprise team {label}" if label.startswith(ENTERPRISE_PREFIX) else f"team {label}"


def _people(count: int, what: str = "idle person", many: str = "idle people") -> str:
    return f"{count:,} {what if count == 1 else many}"


def _groups_named(groups: tuple[str, ...]) -> str:
    if not groups:
        return "an identity provider"
    named = ", ".join(f"'{g}'" for g in groups)
    return f"IdP group {named}" if len(groups) == 1 else f"IdP groups {named}"


def group_line(group: Group) -> str:
    """One group in words: who holds them, how many, what they cost, and what would help."""
    hold, team = group.hold, _team(group.hold.team)
    cost = f"{money(group.cost)} a month"
    people = _people(group.people)
    match hold.code:
        case "idp_synced" | "external_group":
            return (
                f"{team}, kept in sync with {_groups_named(hold.groups)}: {people}, {cost}: "
                "remove them in the identity provider"
            )
        case "grants_repositories":
            return (
                f"{team} grants {hold.repositories or 0:,} repositories: {people}, {cost}: "
                "removing them would also take that access"
            )
        case "maintainer":
            return (
                f"{team}: {_people(group.people, 'maintainer', 'maintainers')}, {cost}: remove "
                "them by hand, or set REAPER_RECLAIM_TEAM_MAINTAINERS=true"
            )
        case "child_team":
            return f"{team}, through child team {hold.child}: {people}, {cost}: remove them there"
        case "not_named":
            return (
                f"{team} is not in REAPER_RECLAIM_TEAMS: {people}, {cost}: name it there to "
                "let the reaper remove them"
            )
        case "removable":
            return (
                f"{team} is named in REAPER_RECLAIM_TEAMS: {people}, {cost}: "
                "no refusal holds them: the reaper may remove them from it"
            )
        case _:
            return f"{people}, {cost}: {hold.text}"


def who_can_lines(report: CycleReport, prices: Prices) -> list[str]:
    """The groups as lines, one per team and reason; empty when nobody is held by a team."""
    return [group_line(group) for group in groups(report, prices)]
