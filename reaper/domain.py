"""The vocabulary of the reaper: seats, flags, decisions. Plain data, no I/O."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime  # noqa: TC003  (dataclass fields are resolved at runtime)


@dataclass(frozen=True, slots=True)
class Seat:
    """One Copilot seat as GitHub reports it, already validated."""

    org: str
    login: str
    created_at: datetime
    last_activity_at: datetime | None
    last_activity_editor: str | None
    pending_cancellation_date: str | None
    assigning_team: str | None  # the team's slug when the seat was granted through a team
    plan_type: str

    @property
    def reference_at(self) -> datetime:
        """When the seat was last known to be in use: last activity, else assignment."""
        return self.last_activity_at or self.created_at


@dataclass(frozen=True, slots=True)
class BadSeat:
    """A seat record that could not be understood; it is reported and never acted on."""

    org: str
    login: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class Flag:
    """A remembered warning: this seat was found idle and will go unless it is used again.

    ``due_at`` is ``None`` until a report naming the flag has been delivered; only then
    does the grace period start, so a warning that never went out never leads to a cancel.
    """

    org: str
    login: str
    flagged_at: datetime
    reference_at: datetime
    warned_at: datetime | None
    due_at: datetime | None


class Action(enum.StrEnum):
    """What the cycle does with one seat."""

    ACTIVE = "active"  # in use: nothing to do
    EXEMPT = "exempt"  # never flagged (exempt user or team)
    PENDING = "pending"  # GitHub already has a cancellation pending
    FLAG = "flag"  # idle and not yet flagged: flag and warn now
    IN_GRACE = "in_grace"  # flagged, idle, due date not reached (or warning not delivered)
    UNFLAG = "unflag"  # flagged but used again: forget the flag (reactivated)
    CANCEL = "cancel"  # flagged, idle past the due date: cancel the seat
    NEEDS_PERSON = "needs_person"  # due, but granted through a team: a person must act
    FORGET = "forget"  # flagged seat no longer in the list


@dataclass(frozen=True, slots=True)
class Decision:
    """What happens to one seat this cycle, and why."""

    org: str
    login: str
    action: Action
    reason: str
    seat: Seat | None
    flag: Flag | None
    idle_days: int | None = None
    due_at: datetime | None = None
