"""The report of one cycle: counts and the lists of what changed, per org. Plain data."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime  # noqa: TC003  (dataclass fields are resolved at runtime)
from typing import Self

from reaper.core.domain import Action, Decision
from reaper.core.holds import Hold  # noqa: TC001  (dataclass fields are resolved at runtime)


@dataclass(slots=True)
class Counts:
    """How many seats ended up in each state this cycle."""

    persons: int = 0  # each person once, however many orgs and teams grant them
    seats: int = 0  # grants: one per granting org or team, as GitHub lists them
    active: int = 0
    inactive: int = 0
    newly_flagged: int = 0
    in_grace: int = 0
    cancelled: int = 0  # persons who lost their last grant: a seat saved each
    grants_removed: int = 0  # grants removed, including those of persons who keep another
    reactivated: int = 0
    exempt: int = 0
    already_pending: int = 0
    needs_person: int = 0
    errors: int = 0
    waiting: int = 0  # persons with a grant in a list not read completely: decided later

    def __add__(self, other: Counts) -> Counts:
        """Sum two sets of counts."""
        return Counts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def as_dict(self) -> dict[str, int]:
        """Return the counts by field name, for structured logs."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def items(self) -> list[tuple[str, int]]:
        """Return (label, value) pairs in display order."""
        return [(f.name.replace("_", " "), getattr(self, f.name)) for f in fields(self)]


@dataclass(frozen=True, slots=True)
class Entry:
    """One seat in one of the report's lists."""

    org: str
    login: str
    reason: str
    last_activity_at: datetime | None = None
    idle_days: int | None = None
    due_at: datetime | None = None
    team: str | None = None
    editor: str | None = None
    plan_type: str | None = None
    flagged_at: datetime | None = None  # when the flag was stored; None for a flag set this cycle
    grants: tuple[str, ...] = ()  # the scopes (orgs, "enterprise:<slug>") that grant a seat
    teams: tuple[str, ...] = ()  # the teams that grant a seat (no per-user cancel)
    created_at: datetime | None = None  # the oldest grant: the seat's age
    saved: bool = True  # cancelled: the person lost their last grant, so a seat is saved
    holds: tuple[Hold, ...] = ()  # needs a person: each team holding them, and why

    @classmethod
    def of(
        cls, decision: Decision, reason: str | None = None, due_at: datetime | None = None
    ) -> Self:
        """Describe the person of a decision: their latest use, and every grant they hold.

        ``reason`` and ``due_at``, when given, stand instead of the decision's.
        """
        seat, person = decision.seat, decision.person
        grants = person.grants if person else (seat,) if seat else ()
        used = [g.last_activity_at for g in grants if g.last_activity_at is not None]
        plans = [g.plan_type for g in grants]
        return cls(
            org=decision.org,
            login=decision.login,
            reason=reason or decision.reason,
            last_activity_at=max(used, default=None),
            idle_days=decision.idle_days,
            due_at=due_at or decision.due_at,
            team=seat.assigning_team if seat else None,
            editor=seat.last_activity_editor if seat else None,
            plan_type=("enterprise" if "enterprise" in plans else plans[0]) if plans else None,
            flagged_at=decision.flag.flagged_at if decision.flag else None,
            grants=decision.removed
            or tuple(dict.fromkeys(g.org for g in grants if g.live) or (decision.org,)),
            teams=person.teams if person else (),
            created_at=min((g.created_at for g in grants), default=None),
            saved=not (decision.removed and person and _kept(decision)),
        )


def _kept(decision: Decision) -> bool:
    """Tell whether a cancelled person keeps a live grant besides those removed."""
    person = decision.person
    assert person is not None
    return any(g.org not in decision.removed for g in person.live) if decision.removed else False


# Why an org's work was held, for alerts: its preflight failed, its list could not be read
# completely, a forget limit or the blast-radius limit held it.
HOLDS = ("preflight", "scan_incomplete", "forget_limit", "blast_radius")


@dataclass(slots=True)
class OrgReport:
    """What one org's cycle found and did. ``failed`` means part of its work did not happen."""

    org: str
    counts: Counts = field(default_factory=Counts)
    flagged: list[Entry] = field(default_factory=list)
    cancelled: list[Entry] = field(default_factory=list)
    reactivated: list[Entry] = field(default_factory=list)
    needs_person: list[Entry] = field(default_factory=list)
    in_grace: list[Entry] = field(default_factory=list)  # flagged earlier, still waiting
    waiting: list[Entry] = field(default_factory=list)  # not decided: a list was not read
    idle_days: list[int] = field(default_factory=list)  # of every readable, non-pending seat
    errors: list[str] = field(default_factory=list)
    failed: bool = False
    holds: set[str] = field(default_factory=set)  # of HOLDS: why nothing was done here
    notes: list[str] = field(default_factory=list)  # said once in the report, not errors
    next_cycle: date | None = None  # the scope's next billing-cycle date, when known
    teams_removed: dict[str, int] = field(default_factory=dict)  # team key: persons removed

    def fail(self, message: str, *, hold: str | None = None) -> None:
        """Record a failure that makes this org's cycle incomplete (``hold``: one of HOLDS)."""
        self.failed = True
        self.errors.append(message)
        self.counts.errors += 1
        if hold is not None:
            self.holds.add(hold)

    def note_error(self, message: str) -> None:
        """Record an error that was contained (a skipped record) without failing the org."""
        self.errors.append(message)
        self.counts.errors += 1

    def tally(self, decisions: list[Decision], *, bad_seats: int) -> None:
        """Count the final decisions of the persons reported under this scope."""
        counts = self.counts
        persons = [d.person for d in decisions if d.person is not None]
        counts.persons = len(persons)
        counts.seats = bad_seats + sum(len(p.grants) for p in persons)
        counts.grants_removed += sum(len(d.removed) for d in decisions)
        for decision in decisions:
            match decision.action:
                case Action.ACTIVE:
                    counts.active += 1
                case Action.UNFLAG:
                    counts.active += 1
                    counts.reactivated += 1
                case Action.FLAG:
                    counts.inactive += 1
                    counts.newly_flagged += 1
                case Action.IN_GRACE:
                    counts.inactive += 1
                    counts.in_grace += 1
                case Action.CANCEL:
                    counts.inactive += 1
                    counts.cancelled += 1
                case Action.NEEDS_PERSON:
                    counts.inactive += 1
                    counts.needs_person += 1
                case Action.EXEMPT:
                    counts.exempt += 1
                case Action.PENDING:
                    counts.already_pending += 1
                case Action.WAITING:
                    counts.waiting += 1
                case Action.FORGET:
                    pass


@dataclass(slots=True)
class CycleReport:
    """The report of one whole cycle across every configured org."""

    at: datetime
    dry_run: bool
    orgs: list[OrgReport] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Tell whether any org's cycle was incomplete."""
        return any(org.failed for org in self.orgs)

    @property
    def totals(self) -> Counts:
        """Counts summed over every org."""
        total = Counts()
        for org in self.orgs:
            total += org.counts
        return total

    @property
    def has_changes(self) -> bool:
        """Tell whether anything changed: a new flag, cancel, reactivation, person needed, error.

        A note (a cancel newly moved to the cycle end, a warning of a held run) counts too.
        """
        return any(
            org.flagged
            or org.cancelled
            or org.reactivated
            or org.needs_person
            or org.errors
            or org.notes
            for org in self.orgs
        )

    def entries(self, name: str) -> list[Entry]:
        """One list (``flagged``, ``cancelled``, ...) across every org."""
        return [entry for org in self.orgs for entry in getattr(org, name)]
