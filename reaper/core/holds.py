"""What holds an idle person that no one can reclaim: the team, and why it cannot be written.

Pure. For a person granted a seat through a team (``needs a person``), the cycle reads what
GitHub says about the team (``TeamFacts``) and, for a team the reaper may write to, the
person's membership; ``team_hold`` and ``person_hold`` turn that into a ``Hold``: the team,
a stable code for the CSV and JSON, the reason in words, and what the grouped report needs
(the IdP groups, the repositories, the child team). The report groups persons by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from reaper.core.teams import (
    Membership,
    RefusalCode,
    TeamFacts,
    TeamRef,
    member_refusal,
    team_refusal,
)

#: Codes beyond the refusals: a team not named in REAPER_RECLAIM_TEAMS, one that could not
#: be read (or was not, this cycle), and a named team the person may be removed from.
HoldCode = RefusalCode | Literal["not_named", "team_unreadable", "not_read", "removable"]
#: What a team says about itself strongly enough to report even when it is not named.
_TEAM_WIDE: frozenset[str] = frozenset({"idp_synced", "external_group", "grants_repositories"})


@dataclass(frozen=True, slots=True)
class Hold:
    """A team that grants an idle person a seat the reaper cannot take, and why.

    ``team`` is ``org/slug`` or ``ent:slug``; ``groups`` the IdP groups keeping it in sync;
    ``repositories`` how many it grants; ``child`` the child team the person is in.
    """

    team: str
    code: HoldCode
    text: str
    groups: tuple[str, ...] = ()
    repositories: int | None = None
    child: str | None = None


def not_named(ref: TeamRef) -> Hold:
    """A team the reaper is not allowed to write to."""
    return Hold(
        ref.label,
        "not_named",
        f"team {ref.label} is not in REAPER_RECLAIM_TEAMS: the reaper never removes anyone from it",
    )


def unreadable(ref: TeamRef, why: str, *, named: bool) -> Hold:
    """A team whose facts could not be read (``not_read``: left for a later cycle)."""
    if not named:
        return not_named(ref)
    return Hold(ref.label, "team_unreadable", f"team {ref.label} could not be read: {why}")


def not_read(ref: TeamRef, why: str) -> Hold:
    """A team (or a person's membership) left unread this cycle, within the read budget."""
    return Hold(ref.label, "not_read", f"team {ref.label} was not read this cycle ({why})")


def team_hold(facts: TeamFacts, *, named: bool) -> Hold | None:
    """The hold of the whole team, or ``None`` when each person must be looked at.

    A team that is not named holds everyone in it; it is reported by what it says about
    itself (IdP groups, repositories) when that would stop the reaper anyway.
    """
    refusal = team_refusal(facts)
    ref = facts.ref
    if refusal is not None and (named or refusal.code in _TEAM_WIDE):
        return Hold(
            ref.label, refusal.code, refusal.text, refusal.groups, facts.repositories or None
        )
    return None if named else not_named(ref)


def person_hold(ref: TeamRef, membership: Membership, *, reclaim_maintainers: bool) -> Hold:
    """The hold of one person in a named team that removals may be sent to."""
    refusal = member_refusal(ref, membership, reclaim_maintainers=reclaim_maintainers)
    if refusal is None:
        return Hold(
            ref.label,
            "removable",
            f"team {ref.label} is named in REAPER_RECLAIM_TEAMS and no refusal holds the "
            "person: the reaper may remove them from it",
        )
    return Hold(ref.label, refusal.code, refusal.text, child=membership.via_child)
