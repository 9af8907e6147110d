"""The report as tables for a terminal (``reaper report --format table``): every row, no limits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reaper.report.summary import (
    LISTS,
    Prices,
    count_items,
    date,
    days_ago,
    histogram_lines,
    money,
    savings,
)
from reaper.report.text import headline

if TYPE_CHECKING:
    from reaper.report.model import CycleReport, Entry

COLUMNS = ("login", "org", "last active", "", "idle days", "due", "team", "editor")
MAX_CELL = 40


def _clip(text: str) -> str:
    text = " ".join(text.split())  # no control characters or line breaks from outside
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _cells(entry: Entry, report: CycleReport) -> list[str]:
    return [
        _clip(v)
        for v in (
            entry.login,
            entry.org,
            date(entry.last_activity_at),
            days_ago(entry.last_activity_at, report.at) if entry.last_activity_at else "",
            "" if entry.idle_days is None else str(entry.idle_days),
            date(entry.due_at) if entry.due_at else "",
            entry.team or "",
            entry.editor or "",
        )
    ]


def grid(header: tuple[str, ...], rows: list[list[str]]) -> list[str]:
    """Rows as left-aligned columns under a header and a rule."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]

    def line(cells: tuple[str, ...] | list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def render_table(report: CycleReport, prices: Prices) -> str:
    """The whole report for a terminal: summary, histogram, then one table per list."""
    lines = [headline(report), ""]
    items = count_items(report)
    width = max(len(label) for label, _ in items)
    lines += [f"  {label:<{width}}  {value:>7,}" for label, value in items]
    saving = savings(report, prices)
    cancelled = "would be cancelled" if report.dry_run else "cancelled"
    lines += [
        "",
        "Estimated monthly saving:",
        f"  {money(saving.cancelled)} from {saving.cancelled_seats} seats {cancelled} now",
        f"  {money(saving.due)} from {saving.due_seats} seats due within their grace period",
        "",
        "Seats by idle days:",
        *(f"  {line}" for line in histogram_lines(report)),
    ]
    for name, title, dry_title in LISTS:
        entries = report.entries(name)
        if entries:
            lines += ["", f"{dry_title if report.dry_run else title} ({len(entries)}):"]
            lines += grid(COLUMNS, [_cells(e, report) for e in entries])
    errors = [[org.org, " ".join(error.split())] for org in report.orgs for error in org.errors]
    if errors:
        lines += ["", f"Errors ({len(errors)}):", *grid(("org", "error"), errors)]
    return "\n".join(lines) + "\n"
