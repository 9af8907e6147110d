"""The words of the direct messages: a warning when flagged, a note when cancelled.

With answers in Slack on, the warning carries two buttons ("I still need it", "Release it
now") in one actions block (``ANSWER_BLOCK``); "Release it now" is answered in place with a
confirmation (``confirm_blocks``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from reaper.core.domain import scope_label
from reaper.core.teams import noted_teams
from reaper.core.timing import SAVES
from reaper.report.summary import date, days_ago, granted_by, no_activity, still_granted
from reaper.slack.mrkdwn import context, escape, section

if TYPE_CHECKING:
    from datetime import datetime

    from reaper.report.model import Entry

_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{6,}$")
KEEP_LABEL = "I still need it"
RELEASE_LABEL = "Release it now"
CONFIRM_LABEL = "Yes, release it now"
DECLINE_LABEL = "No, keep it"
ANSWER_BLOCK = "reaper.answer"  # block_id of a warning's buttons
CONFIRM_BLOCK = "reaper.confirm"  # block_id of the confirmation's buttons


def channel_ref(channel: str | None) -> str:
    """A channel as mrkdwn: a link for an id (``<#C123>``), the escaped name otherwise."""
    if not channel:
        return "your Copilot admins"
    if _CHANNEL_ID.match(channel):
        return f"<#{channel}>"
    return escape(channel if channel.startswith("#") else f"#{channel}")


def _where(entry: Entry) -> str:
    """Where the seat comes from, escaped: ``in acme``, ``granted by acme-eng, enterprise acme``."""
    scopes = granted_by(entry)
    if scopes:
        return "granted by " + ", ".join(escape(scope) for scope in scopes)
    return "in " + escape(scope_label(entry.org))


def _idle(entry: Entry, now: datetime) -> str:
    if entry.last_activity_at is None:
        return f"Your seat has {no_activity(entry, now)}."
    return (
        f"You have not used Copilot since {date(entry.last_activity_at)} "
        f"({days_ago(entry.last_activity_at, now)})."
    )


def flagged_message(
    entry: Entry,
    now: datetime,
    admin_channel: str | None,
    buttons: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The warning: which seat, idle since when, when it goes, and how to keep it.

    With ``buttons`` ("I still need it", "Release it now") the person can also answer here.
    """
    where, due = _where(entry), date(entry.due_at)
    keep = (
        f"*To keep it, use Copilot once before {due}* (a completion or a chat in your editor is "
        "enough)"
    )
    if buttons:
        keep += (
            f", or click *{KEEP_LABEL}*. Not needed any more? *{RELEASE_LABEL}* gives it back "
            "today."
        )
    else:
        keep += ". Nothing else to do."
    text = (
        f"*Your GitHub Copilot seat {where} will be released on {due}*\n"
        f"{_idle(entry, now)} Seats cost money every month, so unused ones are given back.\n"
        f"{keep}"
    )
    if entry.reason.endswith(SAVES):  # REAPER_CANCEL_TIMING=cycle_end
        text += f"\nIt {entry.reason}: GitHub bills the seat to the end of the billing cycle."
    if teams := noted_teams(entry.reason):  # REAPER_RECLAIM_TEAMS
        text += f"\nThe seat comes from team {escape(teams)}: you will be removed from it on {due}."
    blocks = [section(text)]
    if buttons:
        blocks.append({"type": "actions", "block_id": ANSWER_BLOCK, "elements": buttons})
    blocks.append(
        context(f"Sent by the Copilot seat reaper. Questions? Ask in {channel_ref(admin_channel)}.")
    )
    return {
        "text": f"Your GitHub Copilot seat {where} will be released on {due} unless you use "
        f"Copilot before then.",
        "blocks": blocks,
    }


def confirm_blocks(where: str, buttons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The question that replaces a warning's buttons after "Release it now" (``where`` escaped)."""
    return [
        section(
            f"*Release your GitHub Copilot seat {where} now?* It is cancelled at once and "
            "Copilot stops working for you; an admin can give it back later."
        ),
        {"type": "actions", "block_id": CONFIRM_BLOCK, "elements": buttons},
    ]


def cancelled_message(entry: Entry, now: datetime, admin_channel: str | None) -> dict[str, Any]:
    """The note after the fact: the seat is gone (or a grant, when another remains)."""
    if not entry.saved:
        return _grant_removed_message(entry, now, admin_channel)
    where, ask = _where(entry), channel_ref(admin_channel)
    text = (
        f"*Your GitHub Copilot seat {where} was released on {date(now)}*\n"
        f"{_idle(entry, now)} It was flagged as unused and its grace period has ended.\n"
        f"*Need it back?* Ask in {ask}: an admin can assign you a seat again, and Copilot "
        f"works as soon as it is assigned."
    )
    return {
        "text": f"Your GitHub Copilot seat {where} was released. To get it back, ask in {ask}.",
        "blocks": [section(text), context("Sent by the Copilot seat reaper.")],
    }


def _grant_removed_message(
    entry: Entry, now: datetime, admin_channel: str | None
) -> dict[str, Any]:
    """A removal that left the person a seat through another grant: nothing to ask back."""
    scopes = entry.grants or (entry.org,)
    where = ", ".join(escape(scope_label(scope)) for scope in scopes)
    ask, still = channel_ref(admin_channel), still_granted(entry, escape)
    text = (
        f"*Your GitHub Copilot grant in {where} was removed on {date(now)}*\n"
        f"{_idle(entry, now)} It was flagged as unused and its grace period has ended.\n"
        f"You still have a Copilot seat through {still}, so Copilot keeps working for you. "
        f"Questions? Ask in {ask}."
    )
    return {
        "text": f"Your GitHub Copilot grant in {where} was removed; you still have a seat "
        f"through {still}.",
        "blocks": [section(text), context("Sent by the Copilot seat reaper.")],
    }
