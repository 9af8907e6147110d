"""Which direct messages a cycle could send: one per user and event, most urgent first.

Events and their keys: ``flagged`` keyed by when the flag was set (stable until the flag is
dropped, so a flag warned late is still warned once), ``cancelled`` keyed by the cycle's date.
Flags set earlier whose user was not messaged yet (limit reached, Slack down, DMs just
switched on) are caught up while their due date is still ahead (``listed`` false: the
report does not list them). ``DmPlan`` is what ``DirectMessenger.prepare`` found of them
(``reaper.slack.dm``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reaper.identity.choose import NO_IDENTITY, OUTSIDE_DOMAINS

if TYPE_CHECKING:
    from datetime import datetime

    from reaper.report.export import Contact
    from reaper.report.model import CycleReport, Entry
    from reaper.slack.ledger import DmKey
    from reaper.slack.listing import Unwarned


@dataclass(frozen=True, slots=True)
class Target:
    """One message to send: the event, the seat, its ledger key and whether the report lists it."""

    event: str
    entry: Entry
    key: DmKey
    listed: bool
    user_id: str = ""


@dataclass(slots=True)
class DmPlan:
    """What ``prepare`` found: whom to message, who cannot be warned, and a note for the report."""

    targets: list[Target] = field(default_factory=list)
    unwarned: list[Unwarned] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    contacts: dict[str, Contact] = field(default_factory=dict)  # case-folded login → how

    def only(self, event: str) -> DmPlan:
        """The same plan with only the messages of one event."""
        return DmPlan(
            [t for t in self.targets if t.event == event], self.unwarned, self.notes, self.contacts
        )


_NO_ADDRESS = (NO_IDENTITY, "no e-mail in the user map", "no user map configured")
_NO_USER = ("no Slack user with the mapped e-mail", "the Slack user is deactivated")
_REFUSED = ("Slack look-up failed", "direct message failed")


def outcome(why: str) -> str:
    """The report's word for why a person was not reached (``reached`` when nothing is wrong)."""
    if not why:
        return "reached"
    if why in _NO_ADDRESS:
        return "no_identity"
    if why == OUTSIDE_DOMAINS:
        return "outside_domains"
    if why in _NO_USER:
        return "no_slack_user"
    return "slack_refused" if why.startswith(_REFUSED) else "not_tried"


def _stamp(value: datetime) -> str:
    return f"{value:%Y-%m-%dT%H:%M:%S}"


def candidates(report: CycleReport) -> list[Target]:
    """Every message this cycle could send, most urgent first."""
    out = [
        Target(
            "cancelled",
            e,
            (e.org, e.login.casefold(), "cancelled", f"{report.at:%Y-%m-%d}"),
            listed=True,
        )
        for e in report.entries("cancelled")
    ]
    out += [
        Target(
            "flagged",
            e,
            (e.org, e.login.casefold(), "flagged", _stamp(e.flagged_at or report.at)),
            listed=True,
        )
        for e in report.entries("flagged")
    ]
    waiting = [
        e
        for e in report.entries("in_grace")
        if e.flagged_at is not None and e.due_at is not None and e.due_at > report.at
    ]
    waiting.sort(key=lambda e: (e.due_at, e.org, e.login))
    out += [
        Target(
            "flagged",
            e,
            (e.org, e.login.casefold(), "flagged", _stamp(e.flagged_at)),
            listed=False,
        )
        for e in waiting
        if e.flagged_at is not None
    ]
    return out
