"""A report's lists as channel message lines: one line a person, escaped, with its buttons.

Each list (newly flagged, cancelled, reactivated, needing a person, waiting, then the users
who could not be warned directly and the errors) becomes a ``Listing``: its heading, what it
means, its lines, and for each line the flagged entry it names in full, if any
(``Listing.names``). With answers in Slack on, the first lines of the newly flagged and the
cancelled lists carry the admins' "Keep" and "Reinstate" buttons. How many lines fit the
message is ``reaper.slack.blocks``'s to decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from reaper.core.domain import scope_label
from reaper.core.teams import noted_teams, removal_phrase
from reaper.report.summary import (
    LISTS,
    REINSTATE,
    UNDO_PREFIX,
    date,
    entry_teams,
    last_active,
    person_notes,
    teams_phrase,
)
from reaper.slack.buttons import epoch
from reaper.slack.mrkdwn import clip, escape

if TYPE_CHECKING:
    from collections.abc import Sequence

    from reaper.report.model import CycleReport, Entry
    from reaper.slack.buttons import Buttons

MAX_BUTTON_ROWS = 10  # lines with a button take a block each: at most this many a list
KEEP_LABEL = "Keep"
REINSTATE_LABEL = "Reinstate"
MAX_LINE_CHARS = 300
HINTS = {
    "flagged": "cancelled on the due date unless Copilot is used before",
    "cancelled": "every grant removed; a seat is saved when the person's last grant goes",
    "reactivated": "used Copilot again, flag removed",
    "needs_person": "due, but granted through a team: remove them from every team named",
    "waiting": "also granted where a list could not be read: nothing changes until it reads",
}
UNDO = f"{UNDO_PREFIX} `{REINSTATE}`"

Key = tuple[str, str]  # (org, login) of a flagged entry, exactly as in the report


@dataclass(frozen=True, slots=True)
class Unwarned:
    """A user who should have had a direct message and could not get one, and why."""

    entry: Entry
    why: str


class Listing(NamedTuple):
    """One list as message lines; ``names[i]`` is the flagged entry line ``i`` names, if any."""

    heading: str  # e.g. ``*Newly flagged (300)*``
    hint: str  # what the list means, after the heading in the main message
    lines: list[str]
    names: list[Key | None]
    footnote: str = ""  # a context line under the list in the main message (mrkdwn, escaped)
    buttons: tuple[dict[str, Any], ...] = ()  # ``buttons[i]`` goes beside line ``i``

    def after(self, shown: int) -> Listing:
        """The lines left out once the first ``shown`` were shown."""
        return self._replace(
            lines=self.lines[shown:], names=self.names[shown:], buttons=self.buttons[shown:]
        )


def _line(name: str, entry: Entry, report: CycleReport) -> tuple[str, Key | None]:
    """One entry's line, and its key when it is a flagged entry the line names in full."""
    parts = [f"*{escape(entry.login)}*", escape(scope_label(entry.org))]
    if name == "needs_person":
        parts.append(teams_phrase(entry, _bold) if entry_teams(entry) else escape(entry.reason))
    if name == "cancelled" and (removal := removal_phrase(entry.reason)):  # REAPER_RECLAIM_TEAMS
        parts.append(escape(removal))
    parts.extend(person_notes(name, entry, escape))
    parts.append(last_active(entry, report.at))
    if name in {"flagged", "cancelled"} and entry.editor:
        parts.append(escape(clip(entry.editor, 60)))
    if name == "flagged" and entry.due_at:
        parts.append(f"due *{date(entry.due_at)}*")
        if teams := noted_teams(entry.reason):  # REAPER_RECLAIM_TEAMS
            parts.append(f"removed from team {escape(teams)} then")
    line = clip("• " + " · ".join(parts), MAX_LINE_CHARS)
    whole = line.startswith("• " + " · ".join(parts[:2]) + " ·")  # login and org not clipped
    return line, (entry.org, entry.login) if name == "flagged" and whole else None


def _bold(name: str) -> str:
    return f"*{escape(name)}*"


def _plain(heading: str, lines: list[str]) -> Listing:
    """A list whose lines name no flagged entry."""
    return Listing(f"*{heading} ({len(lines):,})*", "", lines, [None] * len(lines))


def unwarned_line(unwarned: Unwarned) -> str:
    """The line of a user whose direct message could not go out, and why."""
    entry = unwarned.entry
    where = escape(scope_label(entry.org))
    return clip(f"• *{escape(entry.login)}* · {where} · {escape(unwarned.why)}", MAX_LINE_CHARS)


def report_lists(
    report: CycleReport, unwarned: Sequence[Unwarned], buttons: Buttons | None
) -> list[Listing]:
    """Every non-empty list of the report, in order, then the unwarned users and the errors."""
    out = []
    for name, title, dry_title in LISTS:
        entries = report.entries(name)
        if entries:
            heading = f"*{dry_title if report.dry_run else title} ({len(entries):,})*"
            pairs = [_line(name, e, report) for e in entries]
            lines, names = [line for line, _ in pairs], [key for _, key in pairs]
            undo = UNDO if name == "cancelled" and not report.dry_run else ""
            row_buttons = _buttons(name, entries, report, buttons)
            out.append(Listing(heading, f" — {HINTS[name]}", lines, names, undo, row_buttons))
    if unwarned:
        lines = [unwarned_line(u) for u in unwarned]
        out.append(_plain("Could not be warned directly", lines))
    errors = [
        clip(f"• *{escape(scope_label(org.org))}*: {escape(error)}", MAX_LINE_CHARS)
        for org in report.orgs
        for error in org.errors
    ]
    if errors:
        out.append(_plain("Errors", errors))
    return out


def _buttons(
    name: str, entries: list[Entry], report: CycleReport, buttons: Buttons | None
) -> tuple[dict[str, Any], ...]:
    """The admins' button beside each of the first lines of a list, if the list has one."""
    if buttons is None or name not in {"flagged", "cancelled"}:
        return ()
    out = []
    for entry in entries[:MAX_BUTTON_ROWS]:
        if name == "flagged":
            stamp = epoch(entry.flagged_at or report.at)
            out.append(
                buttons.make(
                    KEEP_LABEL, "admin_keep", scope=entry.org, login=entry.login, stamp=stamp
                )
            )
        else:
            stamp = epoch(report.at)
            out.append(
                buttons.make(
                    REINSTATE_LABEL, "reinstate", scope=entry.org, login=entry.login, stamp=stamp
                )
            )
    return tuple(out)
