"""The report as plain text: for the terminal, the log, and as Slack's fallback."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from reaper.report.model import CycleReport, Entry

LISTS = (
    ("flagged", "Newly flagged (will be cancelled unless used before the due date)"),
    ("cancelled", "Cancelled"),
    ("reactivated", "Reactivated (used again: flag removed)"),
    ("needs_person", "Needs a person (granted through a team: remove them from the team)"),
)


def _date(value: datetime | None) -> str:
    return value.date().isoformat() if value else "never"


def describe_entry(entry: Entry) -> str:
    """One line about one seat."""
    parts = [f"{entry.login} ({entry.org})", f"last active {_date(entry.last_activity_at)}"]
    if entry.idle_days is not None:
        parts.append(f"{entry.idle_days} days idle")
    if entry.due_at is not None:
        parts.append(f"due {_date(entry.due_at)}")
    if entry.team:
        parts.append(f"team {entry.team}")
    return ", ".join(parts)


def headline(report: CycleReport) -> str:
    """The first line: mode, orgs and outcome."""
    mode = "DRY RUN (nothing was changed)" if report.dry_run else "LIVE"
    orgs = ", ".join(org.org for org in report.orgs) or "no orgs"
    outcome = "INCOMPLETE" if report.failed else "complete"
    return f"Copilot seat reaper, {mode}: {orgs} on {report.at:%Y-%m-%d %H:%M} UTC, {outcome}"


def render_lines(report: CycleReport) -> list[str]:
    """The whole report as lines of text, every list complete."""
    counts = ", ".join(f"{label} {value}" for label, value in report.totals.items())
    lines = [headline(report), counts]
    if report.dry_run:
        lines.append("A live run would do what follows; no seat was cancelled, no state written.")
    for name, title in LISTS:
        entries = report.entries(name)
        if entries:
            verb = "Would be cancelled" if report.dry_run and name == "cancelled" else title
            lines.append(f"{verb}: {len(entries)}")
            lines.extend(f"  - {describe_entry(entry)}" for entry in entries)
    errors = [f"{org.org}: {error}" for org in report.orgs for error in org.errors]
    if errors:
        lines.append(f"Errors: {len(errors)}")
        lines.extend(f"  - {error}" for error in errors)
    return lines


def render_text(report: CycleReport) -> str:
    """The whole report as one text."""
    return "\n".join(render_lines(report))
