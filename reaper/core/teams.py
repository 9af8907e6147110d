"""Seats granted through teams: which team a setting names, and whether it may be written to.

Pure: the GitHub adapter (``reaper.github.teams``) reads what GitHub says about a team
(``TeamFacts``) and about a person's membership (``Membership``); the functions here decide,
once a cycle per team and once per person, whether the reaper may remove that person from
the team, and if not, why (``Refusal``: a code for the CSV and JSON, a sentence for people).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from reaper.core.domain import Action, Decision, Person, Seat, enterprise_scope, is_enterprise

if TYPE_CHECKING:
    from collections.abc import Mapping

#: The prefix of an enterprise team in ``REAPER_RECLAIM_TEAMS``.
ENTERPRISE_PREFIX = "ent:"
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_PART_MAX = 100


def _is_part(text: str) -> bool:
    """An org login or team slug: a letter or digit, then letters, digits, ``_.-``."""
    return (
        0 < len(text) <= _PART_MAX
        and text[0] in _ALNUM
        and all(char in _ALNUM or char in "_.-" for char in text)
    )


#: What the team-sync read said: groups mapped, none, or no answer that can be trusted.
SyncState = Literal["synced", "not_synced", "unknown"]
RefusalCode = Literal[
    "idp_synced",
    "idp_unknown",
    "external_group",
    "grants_repositories",
    "repositories_unknown",
    "maintainer",
    "child_team",
    "pending",
    "not_member",
    "no_permission",
]


@dataclass(frozen=True, slots=True)
class TeamRef:
    """One team named in ``REAPER_RECLAIM_TEAMS``: an org team, or an enterprise team."""

    slug: str
    org: str | None = None

    @property
    def enterprise(self) -> bool:
        """Tell whether this is an enterprise team (``ent:SLUG``)."""
        return self.org is None

    @property
    def key(self) -> str:
        """The case-folded key: ``org/slug`` or ``ent:slug``."""
        return self.label.casefold()

    @property
    def label(self) -> str:
        """The team as people write it: ``org/slug`` or ``ent:slug``."""
        return f"{ENTERPRISE_PREFIX}{self.slug}" if self.org is None else f"{self.org}/{self.slug}"


def parse_team_ref(text: str) -> TeamRef:
    """Read ``ORG/TEAM_SLUG`` or ``ent:TEAM_SLUG``; ``ValueError`` for anything else."""
    text = text.strip()
    if text[: len(ENTERPRISE_PREFIX)].casefold() == ENTERPRISE_PREFIX:
        slug = text[len(ENTERPRISE_PREFIX) :]
        if _is_part(slug):
            return TeamRef(slug=slug)
    else:
        org, slash, slug = text.partition("/")
        if slash and _is_part(org) and _is_part(slug):
            return TeamRef(slug=slug, org=org)
    raise ValueError(f"not ORG/TEAM_SLUG or ent:TEAM_SLUG: {text!r}")


@dataclass(frozen=True, slots=True)
class TeamFacts:
    """What GitHub said about one team this cycle (and what earlier removals taught).

    ``sync`` is the team-sync read; ``idp_groups`` the IdP groups it, the EMU external-group
    read or an enterprise team's ``group_id`` named (by name, or id without one);
    ``repositories`` the repositories the team grants, ``None`` when they could not be read.
    ``remembered_idp`` is set when GitHub refused a removal naming team synchronisation.
    """

    ref: TeamRef
    sync: SyncState = "not_synced"
    idp_groups: tuple[str, ...] = ()
    external_groups: tuple[str, ...] = ()
    repositories: int | None = 0
    remembered_idp: bool = False
    child_teams: tuple[str, ...] = ()
    unknown_reason: str | None = None
    members: int | None = None  # the team's ``members_count``, child teams' members included


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why the reaper will not remove a person from a team: a stable code and a sentence."""

    code: RefusalCode
    text: str
    groups: tuple[str, ...] = field(default=())


def team_refusal(facts: TeamFacts) -> Refusal | None:
    """Decide, for the whole team, whether removals may be sent; ``None`` when they may."""
    team = facts.ref.label
    groups = facts.idp_groups or facts.external_groups
    if facts.sync == "synced" or facts.remembered_idp or groups:
        named = ", ".join(f"'{g}'" for g in groups)
        held = f"IdP group {named}" if named else "an identity provider"
        return Refusal(
            "idp_synced" if not facts.external_groups else "external_group",
            f"team {team} is kept in sync with {held}: remove the people in the identity provider",
            groups,
        )
    if facts.sync == "unknown":
        why = f" ({facts.unknown_reason})" if facts.unknown_reason else ""
        return Refusal(
            "idp_unknown",
            f"team {team}: whether an identity provider keeps it in sync is unknown{why}; "
            "nothing is removed from it",
        )
    if facts.repositories is None:
        return Refusal(
            "repositories_unknown",
            f"team {team}: its repositories could not be read; nothing is removed from it",
        )
    if facts.repositories > 0:
        return Refusal(
            "grants_repositories",
            f"team {team} grants {facts.repositories} repositories: removing a member would "
            "also take that access",
        )
    return None


@dataclass(frozen=True, slots=True)
class Membership:
    """A person's membership of a team as GitHub reads it; ``found`` False for a 404.

    ``via_child`` names the child team through which the person is a member, if any.
    """

    found: bool
    role: str = "member"
    state: str = "active"
    via_child: str | None = None


def member_refusal(
    team: TeamRef, membership: Membership, *, reclaim_maintainers: bool
) -> Refusal | None:
    """Decide for one person whether to remove them from ``team``; ``None`` when it may go."""
    label = team.label
    if not membership.found:
        return Refusal("not_member", f"not a member of team {label}")
    if membership.state == "pending":
        return Refusal("pending", f"membership of team {label} is pending: not a seat")
    if membership.via_child is not None:
        return Refusal(
            "child_team",
            f"in team {label} through child team {membership.via_child}: remove them there",
        )
    if membership.role == "maintainer" and not reclaim_maintainers:
        return Refusal(
            "maintainer",
            f"a maintainer of team {label} (REAPER_RECLAIM_TEAM_MAINTAINERS is false)",
        )
    return None


def team_scope(key: str, enterprise: str | None) -> str:
    """The scope (org login, or ``enterprise:<slug>``) a team key grants seats in."""
    if key.startswith(ENTERPRISE_PREFIX):
        return enterprise_scope(enterprise or "")
    return key.partition("/")[0]


def grant_ref(seat: Seat) -> TeamRef | None:
    """The team a grant comes through: an org team, or an enterprise team; ``None`` direct."""
    if seat.assigning_team is None:
        return None
    if is_enterprise(seat.org):
        return TeamRef(slug=seat.assigning_team)
    return TeamRef(slug=seat.assigning_team, org=seat.org)


def grant_team(seat: Seat) -> str | None:
    """The case-folded key of the team that granted ``seat`` (``org/slug``, ``ent:slug``)."""
    ref = grant_ref(seat)
    return ref.key if ref is not None else None


def team_grants(person: Person | None, reclaim: frozenset[str]) -> dict[str, tuple[Seat, ...]]:
    """The person's live grants made by a team named in ``reclaim``, by team key."""
    found: dict[str, list[Seat]] = {}
    for seat in person.live if person else ():
        key = grant_team(seat)
        if key is not None and key in reclaim:
            found.setdefault(key, []).append(seat)
    return {key: tuple(seats) for key, seats in found.items()}


def promote(decision: Decision, reclaim: frozenset[str], fixed: Mapping[str, str]) -> Decision:
    """A due person held only by teams the reaper may write to becomes a removal (``CANCEL``).

    Only a due person (``NEEDS_PERSON`` with a due date) whose every live grant is either
    cancellable per user or made by a team named in ``REAPER_RECLAIM_TEAMS`` qualifies; the
    refusals are decided in the act step, which turns a refused person back.
    """
    person = decision.person
    if decision.action is not Action.NEEDS_PERSON or decision.due_at is None or person is None:
        return decision
    if not team_grants(person, reclaim):
        return decision
    for seat in person.live:
        team = grant_team(seat)
        if team is None and seat.org in fixed:
            return decision
        if team is not None and team not in reclaim:
            return decision
    reason = f"idle {decision.idle_days} days, grace period over"
    return replace(decision, action=Action.CANCEL, reason=reason)


#: How a flagged person's reason says which named teams they will be removed from.
TEAM_NOTE, _NOTE_END = "the seat comes from team ", ": removed from it on the due date"


def team_note(teams: list[str]) -> str:
    """The words added to a flagged person's reason: the teams they will be removed from."""
    return f"{TEAM_NOTE}{', '.join(teams)}{_NOTE_END}"


def noted_teams(reason: str) -> str | None:
    """The teams a reason says the person will be removed from, or ``None``."""
    if TEAM_NOTE not in reason or _NOTE_END not in reason:
        return None
    return reason.split(TEAM_NOTE, 1)[1].split(_NOTE_END, 1)[0]


#: How a cancelled person's reason says which teams they left (or would leave, dry run).
_REMOVAL_WORDS = ("removed from team ", "would remove from team ")


def removal_phrase(reason: str) -> str | None:
    """``removed from team X`` (or ``would remove from team X``) from a reason, or ``None``."""
    for part in reason.split("; "):
        if part.startswith(_REMOVAL_WORDS):
            return part
    return None
