"""The report as plain text: for the terminal, the log, and as Slack's fallback."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reaper.core.domain import scope_label
from reaper.core.teams import removal_phrase
from reaper.report.summary import (
    REINSTATE,
    UNDO_PREFIX,
    Prices,
    count_items,
    date,
    entry_teams,
    holding,
    last_active,
    person_notes,
    teams_phrase,
)
from reaper.report.who_can import TITLE, who_can_lines

if TYPE_CHECKING:
    from datetime import datetime

    from reaper.report.model import CycleReport, Entry

LISTS = (
    ("flagged", "Newly flagged (will be cancelled unless used before the due date)"),
    ("cancelled", "Cancelled (every grant removed; a seat is saved when the last one goes)"),
    ("reactivated", "Reactivated (used again: flag removed)"),
    ("needs_person", "Needs a person (granted through a team: remove them from every team named)"),
    ("waiting", "Waiting for a complete view (nothing changes for them until every list reads)"),
)


def describe_entry(entry: Entry, now: datetime, name: str = "") -> str:
    """One line about one person in list ``name``, as of ``now``."""
    parts = [f"{entry.login} ({scope_label(entry.org)})", last_active(entry, now)]
    if entry.idle_days is not None:
        parts.append(f"{entry.idle_days} days idle")
    if entry.due_at is not None:
        parts.append(f"due {date(entry.due_at)}")
    removal = removal_phrase(entry.reason) if name == "cancelled" else None
    if removal:  # REAPER_RECLAIM_TEAMS: the team the person left
        parts.append(removal)
    elif name == "needs_person" or (entry_teams(entry) and entry.saved):  # else the note has them
        parts.append(teams_phrase(entry))
    parts.extend(person_notes(name, entry))
    return ", ".join(parts)


def headline(report: CycleReport) -> str:
    """The first line: mode, orgs and outcome."""
    mode = "DRY RUN (nothing was changed)" if report.dry_run else "LIVE"
    orgs = ", ".join(scope_label(org.org) for org in report.orgs) or "no orgs"
    outcome = "INCOMPLETE" if report.failed else "complete"
    return f"Copilot seat reaper, {mode}: {orgs} on {report.at:%Y-%m-%d %H:%M} UTC, {outcome}"


def undo_line(report: CycleReport) -> str | None:
    """How to give back a seat cancelled by mistake, when this live report cancelled any."""
    if report.dry_run or not report.entries("cancelled"):
        return None
    return f"{UNDO_PREFIX} {REINSTATE}"


def render_lines(report: CycleReport, prices: Prices | None = None) -> list[str]:
    """The whole report as lines of text, every list complete (``prices``: the who-can part)."""
    counts = ", ".join(f"{label} {value:,}" for label, value in count_items(report))
    lines = [headline(report), f"{holding(report)}; {counts}"]
    if report.dry_run:
        lines.append("A live run would do what follows; no seat was cancelled, no state written.")
    for name, title in LISTS:
        entries = report.entries(name)
        if entries:
            verb = "Would be cancelled" if report.dry_run and name == "cancelled" else title
            lines.append(f"{verb}: {len(entries)}")
            lines.extend(f"  - {describe_entry(entry, report.at, name)}" for entry in entries)
            undo = undo_line(report) if name == "cancelled" else None
            if undo:
                lines.append(f"  {undo}")
        held = who_can_lines(report, prices or Prices()) if name == "needs_person" else []
        if held:
            lines += [f"{TITLE}:", *(f"  - {line}" for line in held)]
    notes = [f"{scope_label(org.org)}: {note}" for org in report.orgs for note in org.notes]
    lines.extend(f"Note: {note}" for note in notes)
    errors = [f"{scope_label(org.org)}: {error}" for org in report.orgs for error in org.errors]
    if errors:
        lines.append(f"Errors: {len(errors)}")
        lines.extend(f"  - {error}" for error in errors)
    return lines


def render_text(report: CycleReport, prices: Prices | None = None) -> str:
    """The whole report as one text."""
    return "\n".join(render_lines(report, prices))
