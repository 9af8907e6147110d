"""The pure core: what happens to each seat, from (seats, flags, now, policy).

No HTTP, no clock, no database: everything arrives as arguments and a list of
decisions comes back, so every rule can be checked with a plain table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from reaper.domain import Action, Decision, Flag, Seat

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

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

    def exemption(self, seat: Seat) -> str | None:
        """Say why a seat is exempt (its user or the team that granted it), or ``None``."""
        if seat.login.casefold() in self.exempt_users:
            return "exempt user"
        team = seat.assigning_team
        if team is not None and team.casefold() in self.exempt_teams:
            return f"exempt team {team}"
        return None

    def due_at(self, flag: Flag) -> datetime | None:
        """When a flagged seat may be cancelled: never before the promised date.

        The promised date stays binding when the grace period is shortened later, and a
        longer grace period set after the warning extends it. ``None`` while no warning
        naming the flag has been delivered.
        """
        if flag.warned_at is None or flag.due_at is None:
            return None
        return max(flag.due_at, flag.warned_at + self.grace_days * DAY)


def idle_days(seat: Seat, now: datetime) -> int:
    """Whole days since the seat was last used (or assigned)."""
    return max(0, (now - seat.reference_at) // DAY)


def decide_seat(seat: Seat, flag: Flag | None, now: datetime, policy: Policy) -> Decision:
    """Decide what happens to one seat this cycle."""
    idle = idle_days(seat, now)

    def decision(action: Action, reason: str, due_at: datetime | None = None) -> Decision:
        return Decision(seat.org, seat.login, action, reason, seat, flag, idle, due_at)

    if seat.pending_cancellation_date is not None:
        return decision(Action.PENDING, f"cancellation pending ({seat.pending_cancellation_date})")
    exemption = policy.exemption(seat)
    if exemption is not None:
        return decision(Action.EXEMPT, exemption)
    inactive = now - seat.reference_at > policy.inactive_days * DAY
    if flag is None:
        if inactive:
            return decision(Action.FLAG, f"idle {idle} days", now + policy.grace_days * DAY)
        return decision(Action.ACTIVE, "in use")
    if not inactive or seat.reference_at > flag.reference_at:
        return decision(Action.UNFLAG, "used again since the warning")
    due = policy.due_at(flag)
    if due is None:
        return decision(Action.IN_GRACE, "warning not delivered yet")
    if now < due:
        return decision(Action.IN_GRACE, f"idle {idle} days", due)
    if seat.assigning_team is not None:
        return decision(Action.NEEDS_PERSON, f"granted through team {seat.assigning_team}", due)
    return decision(Action.CANCEL, f"idle {idle} days, grace period over", due)


def decide_org(
    seats: Iterable[Seat],
    flags: Mapping[str, Flag],
    now: datetime,
    policy: Policy,
    *,
    unreadable_logins: Iterable[str] = (),
) -> list[Decision]:
    """Decide for every seat of one fully read org, and forget flags whose seat is gone.

    ``flags`` is keyed by login (any case). A flagged login whose record could not be
    read this cycle (``unreadable_logins``) keeps its flag: absence is only believed
    when the record is really missing.
    """
    by_login = {login.casefold(): flag for login, flag in flags.items()}
    decisions = []
    seen = {login.casefold() for login in unreadable_logins}
    for seat in seats:
        key = seat.login.casefold()
        seen.add(key)
        decisions.append(decide_seat(seat, by_login.get(key), now, policy))
    decisions.extend(
        Decision(flag.org, flag.login, Action.FORGET, "no longer holds a seat", None, flag)
        for key, flag in by_login.items()
        if key not in seen
    )
    return decisions


MIN_FORGET_CHANGE = 5  # fewer vanished seats or dropped flags than this never hold an org


def forget_breach(
    org: str,
    *,
    previous_seats: int | None,
    seats: int,
    flags: int,
    forgets: int,
    max_percent: float,
) -> str | None:
    """Say why an org's list lost too much to be believed, or ``None`` when it did not.

    Mass forgetting is bounded like mass cancelling: when the seat list shrank by more than
    ``max_percent`` since the last complete scan (``previous_seats``), or more than
    ``max_percent`` of the org's ``flags`` would be dropped as gone, an empty or shifted
    answer is more likely than a real change, and the org is held.
    """
    reasons = []
    shrink = (previous_seats or 0) - seats
    if (
        previous_seats
        and shrink >= MIN_FORGET_CHANGE
        and shrink * 100 / previous_seats > max_percent
    ):
        reasons.append(
            f"its seat list shrank from {previous_seats} to {seats} since the last complete scan"
        )
    if flags and forgets >= MIN_FORGET_CHANGE and 100 * forgets / flags > max_percent:
        reasons.append(f"{forgets} of its {flags} flags would be dropped as gone")
    if not reasons:
        return None
    return (
        f"{org}: {' and '.join(reasons)}, more than REAPER_MAX_FORGET_PERCENT={max_percent:g}%. "
        f"Nothing was done in {org} and every flag was kept. If the change is real, raise the "
        "limit for one run; if not, check the seat list GitHub reports."
    )


def blast_radius(
    cancels: Mapping[str, tuple[int, int]], *, max_total: int, max_percent: float
) -> str | None:
    """Say why a cycle's cancellations exceed the limits, or ``None`` when they do not.

    ``cancels`` maps each org to (seats it would cancel, seats it has). Past either limit,
    the whole cycle cancels nothing: a mass cancellation is more likely a fault than a plan.
    """
    total = sum(count for count, _ in cancels.values())
    over = [
        f"{org}: {count} of {seats} seats ({100 * count / seats:.0f}%)"
        for org, (count, seats) in cancels.items()
        if count and seats and 100 * count / seats > max_percent
    ]
    if total <= max_total and not over:
        return None
    parts = [f"this cycle would cancel {total} seats"]
    if total > max_total:
        parts.append(f"more than REAPER_MAX_CANCELLATIONS={max_total}")
    if over:
        parts.append(
            f"more than REAPER_MAX_CANCELLATION_PERCENT={max_percent:g}% in {'; '.join(over)}"
        )
    return (
        ", ".join(parts)
        + ". Nothing was cancelled and every flag was kept. If this is expected, raise the limit "
        "for one run; if not, check the activity data GitHub reports."
    )
