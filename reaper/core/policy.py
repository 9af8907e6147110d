"""The pure core: what happens to each seat, from (seats, flags, now, policy).

No HTTP, no clock, no database: everything arrives as arguments and a list of
decisions comes back, so every rule can be checked with a plain table. The limits on mass
forgetting and cancelling are in ``reaper.core.limits``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from reaper.core.domain import Action, Decision, Flag, Person, Seat

if TYPE_CHECKING:
    from collections.abc import Mapping

DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Policy:
    """The settings that shape decisions."""

    inactive_days: int
    grace_days: int
    exempt_users: frozenset[str] = field(default_factory=frozenset)
    exempt_teams: frozenset[str] = field(default_factory=frozenset)
    activity: str = "last_activity"  # or "last_activity_or_authentication"

    def __post_init__(self) -> None:
        object.__setattr__(self, "exempt_users", frozenset(u.casefold() for u in self.exempt_users))
        object.__setattr__(self, "exempt_teams", frozenset(t.casefold() for t in self.exempt_teams))

    def exemption(self, person: Person) -> str | None:
        """Say why a person is exempt (their login, or a team granting them), or ``None``."""
        if person.login.casefold() in self.exempt_users:
            return "exempt user"
        if not self.exempt_teams:
            return None
        for team in person.teams:
            if team.casefold() in self.exempt_teams:
                return f"exempt team {team}"
        return None

    def used_at(self, seat: Seat) -> datetime:
        """When a grant was last in use: activity (or sign-in, if counted), else assignment."""
        used = seat.last_activity_at
        signed_in = seat.last_authenticated_at
        if self.activity == "last_activity_or_authentication" and signed_in is not None:
            used = signed_in if used is None else max(used, signed_in)
        return used or seat.created_at

    def reference_at(self, person: Person) -> datetime:
        """When the person was last known in use, across every grant: idle only if all are."""
        return max(map(self.used_at, person.grants))

    def due_at(self, flag: Flag) -> datetime | None:
        """When a flagged seat may be cancelled: never before the promised date.

        The promised date stays binding when the grace period is shortened later, and a
        longer grace period set after the warning extends it. ``None`` while no warning
        naming the flag has been delivered.
        """
        if flag.warned_at is None or flag.due_at is None:
            return None
        return max(flag.due_at, flag.warned_at + self.grace_days * DAY)


def idle_days(reference_at: datetime, now: datetime) -> int:
    """Whole days since ``reference_at``."""
    return max(0, (now - reference_at) // DAY)


def keep(decision: Decision, reason: str) -> Decision:
    """Turn a due decision into one that keeps the flag untouched."""
    return replace(decision, action=Action.IN_GRACE, reason=reason)


def decide_seat(seat: Seat, flag: Flag | None, now: datetime, policy: Policy) -> Decision:
    """Decide for a person holding this one grant (see ``decide_person``)."""
    return decide_person(Person(seat.login, (seat,), seat.org), flag, now, policy)


def decide_person(
    person: Person,
    flag: Flag | None,
    now: datetime,
    policy: Policy,
    *,
    exempt_until: tuple[datetime, str] | None = None,
    fixed: Mapping[str, str] | None = None,
    waiting: str | None = None,
) -> Decision:
    """Decide what happens to one person this cycle, over every grant they hold.

    A person is idle only when every grant is idle. ``exempt_until`` (until, why) leaves a
    person alone who was given a seat back or asked to keep it. ``fixed`` maps the scopes
    where seats cannot be cancelled per user (an org assigning every member) to why; a due
    person with no grant that can be removed per user needs a person. ``waiting`` says why
    the cycle does not see every grant of the person: then nothing about them changes.
    """
    seat = max(person.grants, key=policy.used_at)
    reference = policy.used_at(seat)  # policy.reference_at(person), without a second pass
    idle = idle_days(reference, now)

    def decision(action: Action, reason: str, due_at: datetime | None = None) -> Decision:
        org = person.home
        return Decision(org, person.login, action, reason, seat, flag, idle, due_at, person)

    if waiting is not None:
        return decision(Action.WAITING, waiting, flag.due_at if flag else None)
    live = person.live
    if not live:
        dates = sorted({str(g.pending_cancellation_date) for g in person.grants})
        return decision(Action.PENDING, f"cancellation pending ({', '.join(dates)})")
    exemption = policy.exemption(person)
    if exemption is None and exempt_until is not None and now < exempt_until[0]:
        exemption = f"{exempt_until[1]}, left alone until {exempt_until[0].date().isoformat()}"
    if exemption is not None:
        return decision(Action.EXEMPT, exemption)
    inactive = now - reference > policy.inactive_days * DAY
    if flag is None:
        if inactive:
            return decision(Action.FLAG, f"idle {idle} days", now + policy.grace_days * DAY)
        return decision(Action.ACTIVE, "in use")
    if not inactive or reference > flag.reference_at:
        return decision(Action.UNFLAG, "used again since the warning")
    due = policy.due_at(flag)
    if due is None:
        return decision(Action.IN_GRACE, "warning not delivered yet")
    if now < due:
        return decision(Action.IN_GRACE, f"idle {idle} days", due)
    fixed = fixed or {}
    if not any(g.assigning_team is None and g.org not in fixed for g in live):
        return decision(Action.NEEDS_PERSON, _why_fixed(person, fixed), due)
    return decision(Action.CANCEL, f"idle {idle} days, grace period over", due)


def _why_fixed(person: Person, fixed: Mapping[str, str]) -> str:
    """Why no grant of a due person can be removed per user."""
    reasons = [f"granted through team {team}" for team in person.teams]
    reasons += [fixed[scope] for scope in person.scopes if scope in fixed]
    return "; ".join(dict.fromkeys(reasons))
