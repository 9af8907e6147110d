"""Figures derived from a report: labelled counts, estimated savings, the idle-days histogram.

Shared by every renderer (Slack blocks, terminal table, text, JSON) so they always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reaper.core.domain import scope_label

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import datetime

    from reaper.report.model import CycleReport, Entry

#: Histogram bins of idle days: (label, lowest day included, first day of the next bin).
BINS: tuple[tuple[str, int, int | None], ...] = (
    ("0-30", 0, 30),
    ("30-60", 30, 60),
    ("60-90", 60, 90),
    ("90+", 90, None),
)
BAR_WIDTH = 20

#: The lists of a report, in display order: (name in the model, title, title in a dry run).
LISTS: tuple[tuple[str, str, str], ...] = (
    ("flagged", "Newly flagged", "Would be flagged"),
    ("cancelled", "Cancelled", "Would be cancelled"),
    ("reactivated", "Reactivated", "Reactivated"),
    ("needs_person", "Needs a person", "Needs a person"),
    ("waiting", "Waiting for a complete view", "Waiting for a complete view"),
)

#: How an admin gives back a seat cancelled by mistake (``reaper reinstate``).
REINSTATE = 'reaper reinstate LOGIN --reason "..." --yes'
UNDO_PREFIX = "Given back by mistake?"


@dataclass(frozen=True, slots=True)
class Prices:
    """Monthly price of one seat per Copilot plan; unknown plans are priced as Business."""

    business: float = 19.0
    enterprise: float = 39.0

    def of(self, plan_type: str | None) -> float:
        """The monthly price of one seat of this plan."""
        return self.enterprise if (plan_type or "").lower() == "enterprise" else self.business

    def total(self, entries: Iterable[Entry]) -> float:
        """The monthly price of all these seats."""
        return sum(self.of(entry.plan_type) for entry in entries)


@dataclass(frozen=True, slots=True)
class Savings:
    """Estimated monthly saving: persons cancelled this cycle, and persons due within their grace.

    ``cancelled_seats`` counts the persons who lost their last grant (one seat each);
    ``unsaved`` those whose grants were removed but who keep a seat through another grant
    (cancelled or needing a person): they save nothing and are not priced. ``due_seats``
    counts persons flagged and waiting.
    """

    cancelled_seats: int
    cancelled: float
    due_seats: int
    due: float
    unsaved: int = 0


def savings(report: CycleReport, prices: Prices) -> Savings:
    """Estimate the monthly saving of the persons cancelled now and of those flagged and waiting.

    Only a person who lost their last grant saves a seat; those whose grants were removed
    while another is left (cancelled or needing a person, ``saved`` false) save nothing.
    """
    removed = report.entries("cancelled") + report.entries("needs_person")
    saved = [entry for entry in report.entries("cancelled") if entry.saved]
    unsaved = sum(1 for entry in removed if not entry.saved)
    due = report.entries("flagged") + report.entries("in_grace")
    return Savings(len(saved), prices.total(saved), len(due), prices.total(due), unsaved)


def saving_phrases(saving: Savings, *, dry_run: bool) -> list[str]:
    """The saving in words, one phrase per part: cancelled, due, and saved nothing (if any)."""
    lost = "who would lose" if dry_run else "who lost"
    each = "" if saving.cancelled_seats == 1 else " (a seat each)"
    cancelled = persons(saving.cancelled_seats)
    phrases = [
        f"{money(saving.cancelled)} from {cancelled} {lost} their last seat grant{each}",
        f"{money(saving.due)} from {persons(saving.due_seats)} due within their grace period",
    ]
    if saving.unsaved:
        keep = "who would keep" if dry_run else ("who keeps" if saving.unsaved == 1 else "who keep")
        phrases.append(
            f"nothing from {persons(saving.unsaved)} {keep} a seat through another grant"
        )
    return phrases


def money(amount: float) -> str:
    """An amount in USD, without cents when it has none: ``USD 1,234``."""
    if amount == int(amount):
        return f"USD {int(amount):,}"
    return f"USD {amount:,.2f}"


def histogram(report: CycleReport) -> list[tuple[str, int]]:
    """How many seats have been idle for how long, across every org, bin by bin."""
    counts = dict.fromkeys((label for label, _, _ in BINS), 0)
    for days in (d for org in report.orgs for d in org.idle_days):
        for label, low, high in BINS:
            if days >= low and (high is None or days < high):
                counts[label] += 1
                break
    return list(counts.items())


def histogram_lines(report: CycleReport) -> list[str]:
    """The histogram as aligned text bars, e.g. ``30-60 days  ████        12``."""
    rows = histogram(report)
    top = max((count for _, count in rows), default=0)
    lines = []
    for label, count in rows:
        bar = "█" * (round(count * BAR_WIDTH / top) if top else 0)
        if count and not bar:
            bar = "▏"
        lines.append(f"{label + ' days':<10} {bar:<{BAR_WIDTH}} {count:>6,}")
    return lines


def persons(count: int) -> str:
    """``1 person``, ``1,204 persons``."""
    return f"{count:,} person" if count == 1 else f"{count:,} persons"


def holding(report: CycleReport, mark: str = "") -> str:
    """Who holds seats: ``1,204 persons holding 1,350 seat grants`` (``mark`` wraps numbers)."""
    totals = report.totals
    grants = "seat grant" if totals.seats == 1 else "seat grants"
    who = "person" if totals.persons == 1 else "persons"
    return f"{mark}{totals.persons:,}{mark} {who} holding {mark}{totals.seats:,}{mark} {grants}"


def population_items(report: CycleReport) -> list[tuple[str, int]]:
    """Who holds seats as (label, value) pairs: persons, and the seat grants they hold."""
    totals = report.totals
    return [("persons", totals.persons), ("seat grants", totals.seats)]


def count_items(report: CycleReport) -> list[tuple[str, int]]:
    """What happened, as (label, value) pairs in display order, worded for the mode.

    Every count is of persons, except grants removed (see ``population_items`` for the rest).
    """
    totals = report.totals
    dry = report.dry_run
    return [
        ("active", totals.active),
        ("inactive", totals.inactive),
        ("would be flagged" if dry else "newly flagged", totals.newly_flagged),
        ("in grace", totals.in_grace),
        ("would be cancelled" if dry else "cancelled", totals.cancelled),
        ("grants would be removed" if dry else "grants removed", totals.grants_removed),
        ("reactivated", totals.reactivated),
        ("exempt", totals.exempt),
        ("already pending", totals.already_pending),
        ("needing a person", totals.needs_person),
        ("errors", totals.errors),
    ] + ([("waiting for a complete view", totals.waiting)] if totals.waiting else [])


def date(value: datetime | None) -> str:
    """A timestamp as an ISO date, or ``unknown``."""
    return value.date().isoformat() if value else "unknown"


def days_ago(value: datetime | None, now: datetime) -> str:
    """How long ago, in whole days: ``today``, ``1 day ago``, ``45 days ago``."""
    if value is None:
        return "no activity recorded"
    days = max(0, (now - value).days)
    if days == 0:
        return "today"
    return "1 day ago" if days == 1 else f"{days} days ago"


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count:,} days"


def seat_age(entry: Entry, now: datetime) -> int | None:
    """How many whole days ago the person's oldest grant was made, if known."""
    return None if entry.created_at is None else max(0, (now - entry.created_at).days)


def no_activity(entry: Entry, now: datetime) -> str:
    """A seat without ``last_activity_at``: ``no activity recorded (seat 400 days old)``.

    Never "never used": GitHub clears the field after 90 days without activity.
    """
    age = seat_age(entry, now)
    if age is not None:
        return f"no activity recorded (seat {_days(age)} old)"
    if entry.idle_days is not None:
        return f"no activity recorded (idle {_days(entry.idle_days)})"
    return "no activity recorded"


def last_active(entry: Entry, now: datetime) -> str:
    """The last activity as a date and how long ago: ``last active 2026-01-15, 45 days ago``."""
    if entry.last_activity_at is None:
        return no_activity(entry, now)
    return f"last active {date(entry.last_activity_at)}, {days_ago(entry.last_activity_at, now)}"


def granted_by(entry: Entry) -> list[str]:
    """Where the person's grants come from, when the entry's org alone does not say it.

    Empty for a person granted by that one org; otherwise every granting scope, labelled
    (``acme-eng``, ``enterprise acme``). Plain text: a renderer escapes each.
    """
    if not entry.grants or entry.grants == (entry.org,):
        return []
    return [scope_label(scope) for scope in entry.grants]


def entry_teams(entry: Entry) -> list[str]:
    """Every team that grants the person a seat (``teams``, else the single ``team``)."""
    if entry.teams:
        return list(entry.teams)
    return [entry.team] if entry.team else []


def _same(text: str) -> str:
    return text


def granted_phrase(entry: Entry, quote: Callable[[str], str] = _same) -> str | None:
    """``granted by acme-eng, enterprise acme`` when the org alone does not say it, else None.

    ``quote`` formats each name (a Slack renderer escapes them).
    """
    scopes = granted_by(entry)
    return "granted by " + ", ".join(map(quote, scopes)) if scopes else None


def teams_phrase(entry: Entry, quote: Callable[[str], str] = _same) -> str:
    """``team platform``, ``teams platform, ml``: every team granting the seat.

    With no team named (an org giving every member a seat), the entry's reason says why.
    """
    teams = entry_teams(entry)
    if not teams:
        return entry.reason
    return ("team " if len(teams) == 1 else "teams ") + ", ".join(map(quote, teams))


def still_granted(entry: Entry, quote: Callable[[str], str] = _same) -> str:
    """What still grants a seat to a person whose removed grants saved nothing.

    The teams (``team platform``: a team's grant cannot be removed per user), else
    ``another grant``.
    """
    teams = [f"team {quote(team)}" for team in entry.teams]
    return ", ".join(teams) or "another grant"


def unsaved_phrase(entry: Entry, quote: Callable[[str], str] = _same, *, teams: bool = True) -> str:
    """``removed in acme-eng; saved nothing: still granted by team platform``.

    For a person whose grants were removed (``grants``, as the report has them once grants
    were removed) while another grant is left: no seat was saved. ``teams=False`` leaves out
    what is left, for a line that names the teams already.
    """
    removed = ", ".join(quote(scope_label(scope)) for scope in entry.grants)
    head = f"removed in {removed}; saved nothing" if removed else "saved nothing"
    return f"{head}: still granted by {still_granted(entry, quote)}" if teams else head


def person_notes(name: str, entry: Entry, quote: Callable[[str], str] = _same) -> list[str]:
    """What a line of list ``name`` says about the person's grants beyond the org.

    Where the grants come from (several scopes, an enterprise) or, for a person whose
    removed grants saved nothing because another is left, that and what is left.
    """
    if not entry.saved:
        return [unsaved_phrase(entry, quote, teams=name != "needs_person")]
    granted = granted_phrase(entry, quote)
    return [granted] if granted else []
