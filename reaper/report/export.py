"""The report as data: a CSV with every listed person, and a JSON document of the whole report."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from reaper.report.summary import Prices, histogram, savings, seat_age
from reaper.report.who_can import group_line, groups

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from reaper.report.model import CycleReport, Entry

CSV_COLUMNS = (
    "list",
    "org",
    "login",
    "last_activity_at",
    "idle_days",
    "due_at",
    "team",
    "editor",
    "plan_type",
    "reason",
    "grants",
    "teams",
    "created_at",
    "seat_age_days",
    "saved",
    "held_by",  # needs a person: the teams holding them (";" between several)
    "hold_code",  # why each cannot be written to (reaper.core.holds), in the same order
    "hold_reason",  # the same in words
)
#: Every list of the report, in the order the CSV and the JSON give them.
ALL_LISTS = ("flagged", "cancelled", "reactivated", "needs_person", "in_grace", "waiting")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (text from GitHub is untrusted)."""
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _saved(name: str, entry: Entry) -> bool | None:
    """Whether a cancel saved a seat; None outside the cancelled list, where it means nothing."""
    return entry.saved if name == "cancelled" else None


def _row(name: str, entry: Entry, now: datetime) -> list[str]:
    saved = _saved(name, entry)
    return [
        _cell(v)
        for v in (
            name,
            entry.org,
            entry.login,
            entry.last_activity_at,
            entry.idle_days,
            entry.due_at,
            entry.team,
            entry.editor,
            entry.plan_type,
            entry.reason,
            ";".join(entry.grants),
            ";".join(entry.teams),
            entry.created_at,
            seat_age(entry, now),
            None if saved is None else str(saved).lower(),
            ";".join(h.team for h in entry.holds),
            ";".join(h.code for h in entry.holds),
            "; ".join(h.text for h in entry.holds),
        )
    ]


def csv_text(report: CycleReport, extra: Iterable[tuple[str, Entry]] = ()) -> str:
    """Every seat of every list, one row each, plus ``extra`` (list name, entry) rows and errors."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for name in ALL_LISTS:
        writer.writerows(_row(name, entry, report.at) for entry in report.entries(name))
    writer.writerows(_row(name, entry, report.at) for name, entry in extra)
    blank = dict.fromkeys(CSV_COLUMNS, "")
    for org in report.orgs:
        writer.writerows(
            {**blank, "list": "error", "org": _cell(org.org), "reason": _cell(error)}.values()
            for error in org.errors
        )
    return out.getvalue()


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def entry_dict(entry: Entry, now: datetime, name: str = "") -> dict[str, Any]:
    """One listed person of list ``name`` as JSON-ready data, ages as of ``now``.

    ``last_activity_at`` stays null when GitHub reports none; ``seat_age_days`` (from the
    oldest grant) says how old the seat is. ``saved`` is null outside the cancelled list.
    """
    return {
        "org": entry.org,
        "login": entry.login,
        "reason": entry.reason,
        "last_activity_at": _when(entry.last_activity_at),
        "idle_days": entry.idle_days,
        "due_at": _when(entry.due_at),
        "team": entry.team,
        "editor": entry.editor,
        "plan_type": entry.plan_type,
        "grants": list(entry.grants),
        "teams": list(entry.teams),
        "created_at": _when(entry.created_at),
        "seat_age_days": seat_age(entry, now),
        "saved": _saved(name, entry),
        "holds": [
            {
                "team": h.team,
                "code": h.code,
                "reason": h.text,
                "idp_groups": list(h.groups),
                "repositories": h.repositories,
                "child_team": h.child,
            }
            for h in entry.holds
        ],
    }


def report_dict(report: CycleReport, prices: Prices) -> dict[str, Any]:
    """The whole report as JSON-ready data: totals, savings, histogram, and per org its lists."""
    saving = savings(report, prices)
    return {
        "at": report.at.isoformat(),
        "dry_run": report.dry_run,
        "failed": report.failed,
        "has_changes": report.has_changes,
        "totals": report.totals.as_dict(),
        "savings_per_month_usd": {
            "cancelled": saving.cancelled,
            "cancelled_seats": saving.cancelled_seats,
            "due": saving.due,
            "due_seats": saving.due_seats,
            "cancelled_saving_nothing": saving.unsaved,
        },
        "idle_days_histogram": dict(histogram(report)),
        "who_can": [
            {
                "team": g.hold.team,
                "code": g.hold.code,
                "child_team": g.hold.child,
                "people": g.people,
                "per_month_usd": g.cost,
                "text": group_line(g),
            }
            for g in groups(report, prices)
        ],
        "orgs": [
            {
                "org": org.org,
                "failed": org.failed,
                "counts": org.counts.as_dict(),
                **{
                    name: [entry_dict(e, report.at, name) for e in getattr(org, name)]
                    for name in ALL_LISTS
                },
                "errors": list(org.errors),
            }
            for org in report.orgs
        ],
    }
