"""The vocabulary of the reaper: seats, flags, decisions. Plain data, no I/O."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime  # noqa: TC003  (dataclass fields are resolved at runtime)

ENTERPRISE_PREFIX = "enterprise:"


def enterprise_scope(slug: str) -> str:
    """The scope key of an enterprise: where its direct grants live and are cancelled."""
    return f"{ENTERPRISE_PREFIX}{slug}"


def is_enterprise(scope: str) -> bool:
    """Tell whether a scope key names an enterprise (else it is an organisation's login)."""
    return scope.startswith(ENTERPRISE_PREFIX)


def scope_name(scope: str) -> str:
    """The org login or enterprise slug of a scope key, as GitHub's paths want it."""
    return scope.removeprefix(ENTERPRISE_PREFIX)


def scope_label(scope: str) -> str:
    """A scope for people: ``acme`` for an org, ``enterprise acme`` for an enterprise."""
    return f"enterprise {scope_name(scope)}" if is_enterprise(scope) else scope


@dataclass(frozen=True, slots=True)
class Seat:
    """One Copilot grant as GitHub reports it, already validated.

    ``org`` is the scope that grants it: an org's login, or ``enterprise:<slug>`` for a grant
    made at the enterprise (directly, or through an enterprise team). A person holds one
    record per granting org or team; GitHub bills the person once.
    """

    org: str
    login: str
    created_at: datetime
    last_activity_at: datetime | None
    last_activity_editor: str | None
    pending_cancellation_date: str | None
    assigning_team: str | None  # the team's slug when the seat was granted through a team
    plan_type: str
    last_authenticated_at: datetime | None = None

    @property
    def reference_at(self) -> datetime:
        """When the seat was last known to be in use: last activity, else assignment."""
        return self.last_activity_at or self.created_at

    @property
    def live(self) -> bool:
        """Tell whether the grant still counts: no cancellation pending."""
        return self.pending_cancellation_date is None


@dataclass(frozen=True, slots=True)
class Person:
    """Everything one person holds across the configured scopes: one decision each.

    ``home`` is the scope the person is reported (and their flag stored) under.
    """

    login: str
    grants: tuple[Seat, ...]
    home: str

    @property
    def live(self) -> tuple[Seat, ...]:
        """The grants without a pending cancellation."""
        return tuple(g for g in self.grants if g.live)

    @property
    def teams(self) -> tuple[str, ...]:
        """The teams (org or enterprise) that grant a live seat: no per-user cancel for these."""
        return tuple(dict.fromkeys(g.assigning_team for g in self.live if g.assigning_team))

    @property
    def scopes(self) -> tuple[str, ...]:
        """Where the person holds live grants, in order."""
        return tuple(dict.fromkeys(g.org for g in self.live))

    @property
    def created_at(self) -> datetime:
        """When the oldest grant was made: the seat's age."""
        return min(g.created_at for g in self.grants)


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
    WAITING = "waiting"  # a grant's list was not read completely: nothing changes this cycle


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
    person: Person | None = None
    removed: tuple[str, ...] = ()  # scopes whose grant was cancelled this cycle
