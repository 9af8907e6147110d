"""``reaper audit``: the audit log, oldest first, for compliance reviews and "why my seat?".

Each row: when (UTC), where (an org, or ``enterprise <slug>``), who, what, why, and for a
team's event (``team.*``) the team (``org/slug`` or ``ent:slug``). Formats:
``table`` (a terminal), ``csv`` (a header row, then one row per entry), ``json`` (an array of
objects). The store is read without the writer lock, and the output is scrubbed of secrets
(reasons may quote GitHub, which may echo a token).
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from reaper.core.domain import scope_label
from reaper.redact import scrub, scrub_data
from reaper.report.table import grid
from reaper.store import SqlStore
from reaper.store.teams import audit_team

if TYPE_CHECKING:
    from typing import TextIO

    from reaper.config.settings import Settings
    from reaper.store import AuditEntry

FIELDS = ("at", "scope", "login", "event", "reason", "team")
FORMATS = ("table", "csv", "json")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def parse_since(text: str) -> datetime:
    """A date (``YYYY-MM-DD``, midnight UTC) or an ISO datetime (UTC unless it says otherwise).

    Raises ``ValueError`` with a message fit for the command line.
    """
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"not a date (YYYY-MM-DD) or an ISO datetime (YYYY-MM-DDTHH:MM[:SS][+HH:MM]): {text!r}"
        ) from None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def show_audit(
    settings: Settings,
    out: TextIO,
    *,
    since: datetime | None = None,
    login: str | None = None,
    fmt: str = "table",
) -> int:
    """Print the audit entries (of ``login``, at or after ``since``) in ``fmt``; return 0."""
    store = SqlStore(settings.state_url)
    try:
        entries = store.audit_log(login=login, since=since)
    finally:
        store.close()
    if fmt == "csv":
        text = csv_text(entries)
    elif fmt == "json":
        text = json_text(entries)
    else:
        text = table_text(entries)
    out.write(scrub(text))
    out.flush()
    return 0


def entry_dict(entry: AuditEntry) -> dict[str, Any]:
    """One entry as data: the time in ISO 8601 UTC, the scope as people read it, the team."""
    return {
        "at": entry.at.astimezone(UTC).isoformat(),
        "scope": scope_label(entry.org),
        "login": entry.login,
        "event": entry.event,
        "reason": entry.reason,
        "team": audit_team(entry),
    }


def json_text(entries: list[AuditEntry]) -> str:
    """The entries as a JSON array of objects, every string scrubbed before it is encoded."""
    data = [scrub_data(entry_dict(e)) for e in entries]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def csv_text(entries: list[AuditEntry]) -> str:
    """The entries as CSV with a header row."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for entry in entries:
        row = entry_dict(entry)
        writer.writerow({key: _cell_for_csv(row[key]) for key in FIELDS})
    return buffer.getvalue()


def table_text(entries: list[AuditEntry]) -> str:
    """The entries as columns for a terminal, one line each (a team column if any has one)."""
    if not entries:
        return "no audit entries\n"
    teams = [audit_team(e) for e in entries]
    shown = any(teams)
    rows = [
        [
            f"{e.at.astimezone(UTC):%Y-%m-%d %H:%M:%S}",
            _one_line(scope_label(e.org)),
            *([_one_line(team or "-")] if shown else []),
            _one_line(e.login or ""),
            _one_line(e.event),
            _one_line(e.reason),
        ]
        for e, team in zip(entries, teams, strict=True)
    ]
    header = ("at (UTC)", "scope", *(("team",) if shown else ()), "login", "event", "reason")
    return "\n".join(grid(header, rows)) + "\n"


def _one_line(text: str) -> str:
    """Text on one line without control characters (no escape sequence reaches a terminal)."""
    kept = "".join(" " if unicodedata.category(c).startswith("C") else c for c in text)
    return " ".join(kept.split())


def _cell_for_csv(value: str | None) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else scrub(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text
