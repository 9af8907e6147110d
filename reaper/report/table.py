"""The report as tables for a terminal (``reaper report --format table``): every row, no limits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reaper.core.domain import scope_label
from reaper.core.timing import SAVES
from reaper.report.summary import (
    LISTS,
    Prices,
    count_items,
    date,
    days_ago,
    entry_teams,
    histogram_lines,
    person_notes,
    population_items,
    saving_phrases,
    savings,
    seat_age,
)
from reaper.report.text import headline, undo_line
from reaper.report.who_can import TITLE, who_can_lines

if TYPE_CHECKING:
    from reaper.report.model import CycleReport, Entry

COLUMNS = ("login", "org", "last active", "", "idle days", "due", "teams", "editor", "notes")
MAX_CELL = 40
MAX_NOTES = 120


def _clip(text: str, limit: int = MAX_CELL) -> str:
    text = " ".join(text.split())  # no control characters or line breaks from outside
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _activity(entry: Entry, report: CycleReport) -> tuple[str, str]:
    """The last-activity cells: a date and how long ago, or none recorded and the seat's age."""
    if entry.last_activity_at is not None:
        return date(entry.last_activity_at), days_ago(entry.last_activity_at, report.at)
    age = seat_age(entry, report.at)
    return "none recorded", "" if age is None else f"seat {age:,} days old"


def _cells(name: str, entry: Entry, report: CycleReport) -> list[str]:
    cells = [
        _clip(v)
        for v in (
            entry.login,
            scope_label(entry.org),
            *_activity(entry, report),
            "" if entry.idle_days is None else str(entry.idle_days),
            date(entry.due_at) if entry.due_at else "",
            ", ".join(entry_teams(entry)),
            entry.editor or "",
        )
    ]
    return [*cells, _clip("; ".join(person_notes(name, entry)), MAX_NOTES)]


def grid(header: tuple[str, ...], rows: list[list[str]]) -> list[str]:
    """Rows as left-aligned columns under a header and a rule."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]

    def line(cells: tuple[str, ...] | list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def render_table(report: CycleReport, prices: Prices) -> str:
    """The whole report for a terminal: summary, histogram, then one table per list."""
    lines = [headline(report), ""]
    items = population_items(report) + count_items(report)
    width = max(len(label) for label, _ in items)
    lines += [f"  {label:<{width}}  {value:>7,}" for label, value in items]
    phrases = saving_phrases(savings(report, prices), dry_run=report.dry_run)
    lines += [
        "",
        "Estimated monthly saving:",
        *(f"  {phrase}" for phrase in phrases),
        "",
        "Persons by idle days:",
        *(f"  {line}" for line in histogram_lines(report)),
    ]
    for name, title, dry_title in LISTS:
        entries = report.entries(name)
        if entries:
            lines += ["", f"{dry_title if report.dry_run else title} ({len(entries)}):"]
            lines += grid(COLUMNS, [_cells(name, e, report) for e in entries])
            undo = undo_line(report) if name == "cancelled" else None
            if undo:
                lines.append(undo)
        held = who_can_lines(report, prices) if name == "needs_person" else []
        if held:
            lines += ["", f"{TITLE} ({len(held)}):", *(f"  {line}" for line in held)]
    timed = [e for e in report.entries("in_grace") if e.reason.endswith(SAVES)]
    if timed:  # REAPER_CANCEL_TIMING=cycle_end: the planned date is the "due" column
        lines += ["", f"Waiting for the cycle end ({len(timed)}):"]
        lines += grid(COLUMNS, [_cells("in_grace", e, report) for e in timed])
    notes = [[scope_label(org.org), note] for org in report.orgs for note in org.notes]
    if notes:
        lines += ["", f"Notes ({len(notes)}):", *grid(("org", "note"), notes)]
    errors = [
        [scope_label(org.org), " ".join(error.split())]
        for org in report.orgs
        for error in org.errors
    ]
    if errors:
        lines += ["", f"Errors ({len(errors)}):", *grid(("org", "error"), errors)]
    return "\n".join(lines) + "\n"
