"""Making outside text safe for Slack's mrkdwn, and Slack's size limits."""

from __future__ import annotations

import re

#: Slack's limits (https://api.slack.com/reference/block-kit/blocks), with margins.
MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_HEADER_CHARS = 150
MAX_TEXT_CHARS = 4000
#: ``msg_blocks_too_long`` has been seen at about 13,000 characters of block text in total.
MAX_TOTAL_BLOCK_CHARS = 11_000

_SPECIAL_MENTION = re.compile(r"@(?=(?:channel|here|everyone)\b)", re.IGNORECASE)
_ZERO_WIDTH_SPACE = "\u200b"


def escape(text: str) -> str:
    """Escape text from outside (GitHub logins, team names, editors, errors) for mrkdwn.

    ``&``, ``<`` and ``>`` are escaped as Slack requires, so ``<!channel>``, ``<@U123>`` and
    ``<https://evil|link>`` stay text; a bare ``@channel`` gets a zero-width space after the
    ``@`` so no setting of ``link_names`` can turn it into a mention; line breaks become spaces
    so outside text cannot start a new list item.
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _SPECIAL_MENTION.sub("@" + _ZERO_WIDTH_SPACE, text)
    return " ".join(text.split())


def unescape(text: str) -> str:
    """Undo ``escape``'s entities (for printing what Slack shows)."""
    return (
        text.replace(_ZERO_WIDTH_SPACE, "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
    )


def clip(text: str, limit: int) -> str:
    """Cut text to at most ``limit`` characters, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def section(text: str) -> dict[str, object]:
    """A mrkdwn section block (text already escaped), cut to Slack's limit."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION_CHARS)}}


def context(text: str) -> dict[str, object]:
    """A context block with one mrkdwn element (text already escaped)."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, 2000)}]}


def header(text: str) -> dict[str, object]:
    """A header block (plain text, at most 150 characters)."""
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": clip(text, MAX_HEADER_CHARS), "emoji": False},
    }


def block_chars(blocks: list[dict[str, object]]) -> int:
    """The characters of text in these blocks, the measure behind ``msg_blocks_too_long``."""
    total = 0
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict):
            total += len(str(text.get("text", "")))
        elements = block.get("elements")
        if isinstance(elements, list):
            total += sum(len(str(e.get("text", ""))) for e in elements if isinstance(e, dict))
    return total
