"""The rest of a cut report, in full, as continuation messages within Slack's limits.

An incoming webhook can post nothing but messages, so the lines the main message left out
(``Rendered.rest``) follow it in as many messages as Slack's limits need: each list's lines
in sections of at most ``SECTION_BUDGET`` characters, each section headed by its list, a few
sections a message (under ``MAX_TOTAL_BLOCK_CHARS`` of block text and 50 blocks). Each
message knows which flagged users it names, like the main one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reaper.core.domain import scope_label
from reaper.report.summary import date
from reaper.slack.blocks import SECTION_BUDGET, Rendered
from reaper.slack.mrkdwn import (
    MAX_BLOCKS,
    MAX_TOTAL_BLOCK_CHARS,
    clip,
    context,
    escape,
    section,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from reaper.report.model import CycleReport
    from reaper.slack.listing import Key, Listing

#: Block text a continuation may hold, leaving room for its context line.
PAGE_BUDGET = MAX_TOTAL_BLOCK_CHARS - 500
#: Sections a continuation may hold (Slack allows 50 blocks; one is the context line).
MAX_PAGE_SECTIONS = MAX_BLOCKS - 10


@dataclass(slots=True)
class _Chunk:
    """One section's text and the flagged users its lines name."""

    text: str
    named: list[Key]


@dataclass(slots=True)
class _Page:
    chunks: list[_Chunk] = field(default_factory=list)
    chars: int = 0

    def fits(self, chunk: _Chunk) -> bool:
        return len(self.chunks) < MAX_PAGE_SECTIONS and self.chars + len(chunk.text) <= PAGE_BUDGET

    def add(self, chunk: _Chunk) -> None:
        self.chunks.append(chunk)
        self.chars += len(chunk.text)


def _chunks(listing: Listing) -> list[_Chunk]:
    """A list's lines in sections under ``SECTION_BUDGET``, each headed by the list's name."""
    title = f"{listing.heading}, continued"
    chunks: list[_Chunk] = []
    lines: list[str] = []
    named: list[Key] = []
    size = len(title)
    for line, key in zip(listing.lines, listing.names, strict=True):
        if lines and size + len(line) + 1 > SECTION_BUDGET:
            chunks.append(_Chunk("\n".join([title, *lines]), named))
            lines, named, size = [], [], len(title)
        lines.append(line)
        size += len(line) + 1
        if key is not None:
            named.append(key)
    if lines:
        chunks.append(_Chunk("\n".join([title, *lines]), named))
    return chunks


def _pages(rest: Sequence[Listing]) -> list[_Page]:
    pages = [_Page()]
    for listing in rest:
        for chunk in _chunks(listing):
            if not pages[-1].fits(chunk):
                pages.append(_Page())
            pages[-1].add(chunk)
    return [page for page in pages if page.chunks]


def render_continuations(report: CycleReport, rest: Sequence[Listing]) -> list[Rendered]:
    """The lines a main message left out, in order, in as few messages as Slack's limits allow.

    Part numbers count the main message as part 1: "part 2 of 4" is the first continuation.
    """
    pages = _pages(rest)
    parts = len(pages) + 1
    mode = "DRY RUN" if report.dry_run else "LIVE"
    orgs = escape(", ".join(scope_label(org.org) for org in report.orgs))
    when = f"{date(report.at)} {report.at:%H:%M} UTC"
    out = []
    for number, page in enumerate(pages, start=2):
        where = f"part {number} of {parts}"
        blocks = [context(f"Copilot seats · {orgs} · {mode} · {when} · lists continued, {where}")]
        blocks.extend(section(chunk.text) for chunk in page.chunks)
        text = f"Copilot seat reaper, {mode}, {orgs}: the report's lists continued, {where}"
        named = frozenset(key for chunk in page.chunks for key in chunk.named)
        out.append(Rendered({"text": clip(text, 1000), "blocks": blocks}, cut=False, named=named))
    return out
