"""The channel report as one Block Kit message, within Slack's limits whatever the numbers.

The header, the counts, the saving and the histogram come first, then each list
(``reaper.slack.listing``). Every list is cut to a few lines ("… and N more") so the message
stays readable and below 50 blocks, 3,000 characters a section, and a conservative total;
the full lists travel as a CSV (bot token) or in continuation messages (webhook,
``reaper.slack.continued``). A rendered message knows which flagged users it names
(``Rendered.named``): only they count as warned when it is delivered. Everything that comes
from outside is escaped (``mrkdwn.escape``).

With answers in Slack on (``ReportStyle.buttons``), the first lines of the newly flagged and
the cancelled lists are one section each with a button beside it ("Keep", "Reinstate", for
admins): fewer lines per list, so the message keeps Slack's 50 blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reaper.core.domain import scope_label
from reaper.report.summary import (
    Prices,
    count_items,
    histogram_lines,
    holding,
    saving_phrases,
    savings,
)
from reaper.report.who_can import TITLE, who_can_lines
from reaper.slack.listing import report_lists, unwarned_line
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
    from reaper.report.model import CycleReport
    from reaper.slack.buttons import Buttons
    from reaper.slack.listing import Key, Listing, Unwarned

MAX_LINES_PER_LIST = 15
ROW_BLOCK = "reaper.row"  # block_id prefix of a line with a button
SECTION_BUDGET = MAX_SECTION_CHARS - 100
FOOTER_RESERVE = 600
WEBHOOK_FULL_LIST = "in the messages that follow this one"
BOT_FULL_LIST = "in the CSV file in this message's thread"
LOG_FULL_LIST = "in the reaper's log and in `reaper report`"


@dataclass(frozen=True, slots=True)
class ReportStyle:
    """What the channel message needs besides the report."""

    prices: Prices = field(default_factory=Prices)
    full_list: str = WEBHOOK_FULL_LIST  # where the full lists are when a list is cut
    unwarned: tuple[Unwarned, ...] = ()
    notes: tuple[str, ...] = ()  # extra context lines (escaped already), e.g. about DMs
    buttons: Buttons | None = None  # admins' "Keep" and "Reinstate" beside the first lines


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
    notes = [f"{scope_label(org.org)}: {note}" for org in report.orgs for note in org.notes]
    if notes:  # one line each, said once a cycle (billing-cycle timing)
        blocks.append(context(clip("\n".join(escape(n) for n in notes), MAX_SECTION_CHARS - 100)))
    held = who_can_lines(report, style.prices)
    if held:  # the teams holding who needs a person, one line each
        blocks.append(
            section(
                clip(
                    f"*{TITLE}*\n" + "\n".join(f"• {escape(h)}" for h in held),
                    MAX_SECTION_CHARS - 100,
                )
            )
        )
    lists = report_lists(report, style.unwarned, style.buttons)
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
    lines = [unwarned_line(u) for u in unwarned]
    text, shown = _fit(f"*Could not be warned directly ({len(lines):,})*", lines, SECTION_BUDGET)
    blocks = [section(text)]
    if shown < len(lines):
        blocks.append(context(f"The full list is {full_list}."))
    return {"text": f"{len(lines):,} users could not be warned directly.", "blocks": blocks}
