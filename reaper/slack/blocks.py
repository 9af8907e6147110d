"""The channel report as one Block Kit message, within Slack's limits whatever the numbers.

Every list is cut to a few lines ("… and N more") so the message stays readable and below
50 blocks, 3,000 characters a section, and a conservative total; the full lists travel as a
CSV (bot token) or in continuation messages (webhook, ``reaper.slack.continued``). A
rendered message knows which flagged users it names (``Rendered.named``): only they count
as warned when it is delivered. Everything that comes from outside is escaped
(``mrkdwn.escape``).

With answers in Slack on (``ReportStyle.buttons``), the first lines of the newly flagged and
the cancelled lists are one section each with a button beside it ("Keep", "Reinstate", for
admins): fewer lines per list, so the message keeps Slack's 50 blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from reaper.core.domain import scope_label
from reaper.report.summary import (
    LISTS,
    REINSTATE,
    UNDO_PREFIX,
    Prices,
    count_items,
    date,
    entry_teams,
    histogram_lines,
    holding,
    last_active,
    person_notes,
    saving_phrases,
    savings,
    teams_phrase,
)
from reaper.slack.buttons import epoch
from reaper.slack.mrkdwn import (
    MAX_SECTION_CHARS,
    MAX_TEXT_CHARS,
    MAX_TOTAL_BLOCK_CHARS,
    block_chars,
    clip,
    context,
    escape,
    header,
    section,
)

if TYPE_CHECKING:
    from reaper.report.model import CycleReport, Entry
    from reaper.slack.buttons import Buttons

MAX_LINES_PER_LIST = 15
MAX_BUTTON_ROWS = 10  # lines with a button take a block each: at most this many a list
KEEP_LABEL = "Keep"
REINSTATE_LABEL = "Reinstate"
ROW_BLOCK = "reaper.row"  # block_id prefix of a line with a button
MAX_LINE_CHARS = 300
SECTION_BUDGET = MAX_SECTION_CHARS - 100
FOOTER_RESERVE = 600
HINTS = {
    "flagged": "cancelled on the due date unless Copilot is used before",
    "cancelled": "every grant removed; a seat is saved when the person's last grant goes",
    "reactivated": "used Copilot again, flag removed",
    "needs_person": "due, but granted through a team: remove them from every team named",
    "waiting": "also granted where a list could not be read: nothing changes until it reads",
}
UNDO = f"{UNDO_PREFIX} `{REINSTATE}`"
WEBHOOK_FULL_LIST = "in the messages that follow this one"
BOT_FULL_LIST = "in the CSV file in this message's thread"
LOG_FULL_LIST = "in the reaper's log and in `reaper report`"

Key = tuple[str, str]  # (org, login) of a flagged entry, exactly as in the report


@dataclass(frozen=True, slots=True)
class Unwarned:
    """A user who should have had a direct message and could not get one, and why."""

    entry: Entry
    why: str


@dataclass(frozen=True, slots=True)
class ReportStyle:
    """What the channel message needs besides the report."""

    prices: Prices = field(default_factory=Prices)
    full_list: str = WEBHOOK_FULL_LIST  # where the full lists are when a list is cut
    unwarned: tuple[Unwarned, ...] = ()
    notes: tuple[str, ...] = ()  # extra context lines (escaped already), e.g. about DMs
    buttons: Buttons | None = None  # admins' "Keep" and "Reinstate" beside the first lines


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


@dataclass(frozen=True, slots=True)
class Rendered:
    """A Slack message payload, the flagged users it names, and the lines it left out.

    ``named`` holds the (org, login) of every flagged entry whose line is in the message in
    full; ``rest`` the lines of each list that were cut (empty when ``cut`` is false).
    """

    payload: dict[str, Any]
    cut: bool
    named: frozenset[Key] = frozenset()
    rest: tuple[Listing, ...] = ()


_SINGULAR = {
    "errors": "error",
    "grants removed": "grant removed",
    "grants would be removed": "grant would be removed",
}


def _one(label: str, value: int) -> str:
    """``1 error``, ``1 grant removed``: the nouns among the count labels in the singular."""
    return _SINGULAR.get(label, label) if value == 1 else label


def _mode(report: CycleReport) -> str:
    return "DRY RUN" if report.dry_run else "LIVE"


def _orgs(report: CycleReport, limit: int = 4) -> str:
    names = [scope_label(org.org) for org in report.orgs]
    shown = ", ".join(names[:limit]) or "no orgs"
    return f"{shown} and {len(names) - limit} more" if len(names) > limit else shown


def _line(name: str, entry: Entry, report: CycleReport) -> tuple[str, Key | None]:
    """One entry's line, and its key when it is a flagged entry the line names in full."""
    parts = [f"*{escape(entry.login)}*", escape(scope_label(entry.org))]
    if name == "needs_person":
        parts.append(teams_phrase(entry, _bold) if entry_teams(entry) else escape(entry.reason))
    parts.extend(person_notes(name, entry, escape))
    parts.append(last_active(entry, report.at))
    if name in {"flagged", "cancelled"} and entry.editor:
        parts.append(escape(clip(entry.editor, 60)))
    if name == "flagged" and entry.due_at:
        parts.append(f"due *{date(entry.due_at)}*")
    line = clip("• " + " · ".join(parts), MAX_LINE_CHARS)
    whole = line.startswith("• " + " · ".join(parts[:2]) + " ·")  # login and org not clipped
    return line, (entry.org, entry.login) if name == "flagged" and whole else None


def _bold(name: str) -> str:
    return f"*{escape(name)}*"


def _fit(title: str, lines: list[str], budget: int) -> tuple[str, int]:
    """The title and as many lines as fit the budget, and how many lines that is.

    When lines were left out, a last line says how many.
    """
    shown: list[str] = []
    size = len(title)
    fits_all = len(lines) <= MAX_LINES_PER_LIST and size + sum(len(x) + 1 for x in lines) <= budget
    if fits_all:
        return "\n".join([title, *lines]), len(lines)
    reserve = len(f"_… and {len(lines):,} more_") + 1
    for line in lines[:MAX_LINES_PER_LIST]:
        if size + len(line) + 1 + reserve > budget:
            break
        shown.append(line)
        size += len(line) + 1
    more = f"_… and {len(lines) - len(shown):,} more_"
    return "\n".join([title, *shown, more]), len(shown)


def _plain(heading: str, lines: list[str]) -> Listing:
    """A list whose lines name no flagged entry."""
    return Listing(f"*{heading} ({len(lines):,})*", "", lines, [None] * len(lines))


def _unwarned_line(unwarned: Unwarned) -> str:
    entry = unwarned.entry
    where = escape(scope_label(entry.org))
    return clip(f"• *{escape(entry.login)}* · {where} · {escape(unwarned.why)}", MAX_LINE_CHARS)


def _lists(report: CycleReport, style: ReportStyle) -> list[Listing]:
    out = []
    for name, title, dry_title in LISTS:
        entries = report.entries(name)
        if entries:
            heading = f"*{dry_title if report.dry_run else title} ({len(entries):,})*"
            pairs = [_line(name, e, report) for e in entries]
            lines, names = [line for line, _ in pairs], [key for _, key in pairs]
            undo = UNDO if name == "cancelled" and not report.dry_run else ""
            buttons = _buttons(name, entries, report, style.buttons)
            out.append(Listing(heading, f" — {HINTS[name]}", lines, names, undo, buttons))
    if style.unwarned:
        lines = [_unwarned_line(u) for u in style.unwarned]
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


def _rows(listing: Listing, budget: int, number: int) -> tuple[list[dict[str, Any]], int, int]:
    """A list as a heading and one section a line with its button: (blocks, lines shown, size).

    Lines past the buttons, or past the budget, are left out ("… and N more").
    """
    head = listing.heading + listing.hint
    blocks = [section(head)]
    size, shown, total = len(head), 0, len(listing.lines)
    reserve = len(f"_… and {total:,} more_")
    for index, (line, element) in enumerate(zip(listing.lines, listing.buttons, strict=False)):
        if size + len(line) + reserve > budget:
            break
        row = {**section(line), "block_id": f"{ROW_BLOCK}.{number}.{index}", "accessory": element}
        blocks.append(row)
        size += len(line)
        shown += 1
    if shown < total:
        more = f"_… and {total - shown:,} more_"
        blocks.append(context(more))
        size += len(more)
    return blocks, shown, size


def _summary_blocks(report: CycleReport, style: ReportStyle) -> list[dict[str, Any]]:
    outcome = " · INCOMPLETE" if report.failed else ""
    when = f"{report.at:%Y-%m-%d %H:%M} UTC"
    mode = (
        "Dry run: nothing was changed and no state was written."
        if report.dry_run
        else "Live: seats are cancelled when their grace period ends."
    )
    counts = " · ".join(
        [holding(report, "*")]
        + [f"*{value:,}* {_one(label, value)}" for label, value in count_items(report)]
    )
    saving = saving_phrases(savings(report, style.prices), dry_run=report.dry_run)
    return [
        header(f"Copilot seats · {_orgs(report)} · {_mode(report)}{outcome}"),
        context(f"{when} · {mode}"),
        section(counts),
        section("*Estimated monthly saving:* " + " · ".join(saving)),
        section("*Persons by idle days*\n```" + "\n".join(histogram_lines(report)) + "```"),
    ]


def fallback_text(report: CycleReport) -> str:
    """The notification text: plain words, no formatting, well under Slack's limit."""
    totals = report.totals
    outcome = ", INCOMPLETE" if report.failed else ""
    flagged = "would be flagged" if report.dry_run else "newly flagged"
    cancelled = "would be cancelled" if report.dry_run else "cancelled"
    text = (
        f"Copilot seat reaper, {_mode(report)}{outcome}, {_orgs(report, 10)}: "
        f"{holding(report)}, {totals.newly_flagged:,} {flagged}, {totals.cancelled:,} {cancelled}, "
        f"{totals.reactivated:,} reactivated, {totals.needs_person:,} needing a person, "
        f"{totals.errors:,} {_one('errors', totals.errors)}"
    )
    return clip(escape(text), MAX_TEXT_CHARS - 1000)


def render_report(report: CycleReport, style: ReportStyle | None = None) -> Rendered:
    """The channel message for one cycle's report."""
    style = style or ReportStyle()
    blocks = _summary_blocks(report, style)
    lists = _lists(report, style)
    if lists:
        blocks.append({"type": "divider"})
    footnotes = sum(len(listing.footnote) for listing in lists)
    remaining = MAX_TOTAL_BLOCK_CHARS - block_chars(blocks) - FOOTER_RESERVE - footnotes
    rest: list[Listing] = []
    named: set[Key] = set()
    for number, listing in enumerate(lists):
        budget = min(SECTION_BUDGET, remaining // (len(lists) - number))
        if listing.buttons:
            rows, shown, size = _rows(listing, budget, number)
            blocks.extend(rows)
        else:
            text, shown = _fit(listing.heading + listing.hint, listing.lines, budget)
            blocks.append(section(text))
            size = len(text)
        named.update(key for key in listing.names[:shown] if key is not None)
        if shown < len(listing.lines):
            rest.append(listing.after(shown))
        remaining -= size
        if listing.footnote:
            blocks.append(context(listing.footnote))
    footer = list(style.notes)
    if rest:
        footer.insert(0, f"Long lists are cut; the full lists are {style.full_list}.")
    if footer:
        blocks.append(context(" ".join(footer)))
    payload = {"text": fallback_text(report), "blocks": blocks}
    return Rendered(payload, bool(rest), frozenset(named), tuple(rest))


def render_unwarned(unwarned: list[Unwarned], full_list: str) -> dict[str, Any]:
    """A thread reply naming the users whose direct message did not go out."""
    lines = [_unwarned_line(u) for u in unwarned]
    text, shown = _fit(f"*Could not be warned directly ({len(lines):,})*", lines, SECTION_BUDGET)
    blocks = [section(text)]
    if shown < len(lines):
        blocks.append(context(f"The full list is {full_list}."))
    return {"text": f"{len(lines):,} users could not be warned directly.", "blocks": blocks}
