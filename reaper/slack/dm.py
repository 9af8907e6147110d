"""Direct messages to the users themselves: find them, then warn each one once per event.

Two steps around the channel report: ``prepare`` finds each user's Slack id (login → address
from the identity sources → Slack's directory or ``users.lookupByEmail``, whichever is
cheaper, cached in the ledger) so the report names whoever cannot be warned; ``send`` posts
one message per user and event, claimed in the ledger first: nobody gets it twice. Nothing
here raises: a user who cannot be reached is listed, never a reason to fail the cycle.

Which messages a cycle could send, and their ledger keys, is ``reaper.slack.dm_plan``'s. With
answers in Slack on, a warning carries "I still need it" and "Release it now", sealed for the
Slack user it is sent to (``reaper.slack.buttons``).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from reaper.errors import ReaperError, StateStoreError
from reaper.identity.choose import NO_IDENTITY, Choice
from reaper.identity.usermap import UserMapError, load_user_map
from reaper.logs import get_logger
from reaper.redact import scrub_data
from reaper.report.export import Contact
from reaper.slack.buttons import epoch
from reaper.slack.directory import find_user, prime
from reaper.slack.dm_plan import DmPlan, Target, candidates, outcome
from reaper.slack.dm_text import KEEP_LABEL, RELEASE_LABEL, cancelled_message, flagged_message
from reaper.slack.ledger import DmLedger
from reaper.slack.listing import Unwarned
from reaper.slack.transport import SlackCallError, call

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime, timedelta
    from pathlib import Path

    from slack_sdk import WebClient

    from reaper.report.model import CycleReport
    from reaper.slack.buttons import Buttons

    #: Logins → each one's address and source (``reaper.app.identities.IdentityFinder``).
    Identify = Callable[[Sequence[str], datetime], dict[str, Choice]]

log = get_logger(__name__)

MAX_DMS_PER_CYCLE = 200  # users.lookupByEmail is Tier 3 (about 50 a minute)


class DirectMessenger:
    """Direct messages of one cycle: open with ``with``, then ``prepare`` and ``send``."""

    def __init__(
        self,
        client: WebClient,
        report: CycleReport,
        *,
        state_url: str,
        user_map_file: Path | None,
        limit: int = MAX_DMS_PER_CYCLE,
        buttons: Buttons | None = None,
        identify: Identify | None = None,
        directory_max_age: timedelta | None = None,
    ) -> None:
        self._identify = identify
        self._directory_max_age = directory_max_age  # None: never read Slack's directory
        self._choices: dict[str, Choice] = {}
        self._missed: Counter[str] = Counter()  # why → how many could not be messaged
        self.told: list[tuple[str, str, str]] = []  # (org, login, address source) told of a cancel
        self._client = client
        self._buttons = buttons
        self._report = report
        self._state_url = state_url
        self._user_map_file = user_map_file
        self._limit = limit
        self._ledger: DmLedger | None = None

    def __enter__(self) -> DirectMessenger:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._ledger is not None:
            self._ledger.close()

    # -- step 1: before the channel report ------------------------------------------------

    def prepare(self) -> DmPlan:
        """Find the Slack user of everyone to message; list whoever cannot be reached."""
        plan = DmPlan()
        wanted = candidates(self._report)
        if not wanted:
            return plan
        try:
            self._ledger = DmLedger(self._state_url)
            sent = self._ledger.sent_keys({t.key[0] for t in wanted})
        except StateStoreError as exc:
            log.error("slack.dm_skipped", error=str(exc))
            plan.notes.append("Direct messages were skipped: the state store could not be read.")
            return plan
        wanted = [t for t in wanted if t.key not in sent]
        try:
            emails = load_user_map(self._user_map_file) if self._user_map_file else {}
        except UserMapError as exc:
            log.error("slack.user_map_unreadable", error=str(exc))
            plan.notes.append("Direct messages were skipped: the user map could not be read.")
            emails = None
        if emails is not None and self._identify is not None:
            emails = self._identities(wanted[: self._limit])
        if emails and self._directory_max_age is not None:
            self._prime(wanted[: self._limit], emails, self._directory_max_age)
        for number, target in enumerate(wanted):
            if emails is None:
                why = "user map unreadable"
            elif number >= self._limit:
                why = f"over the limit of {self._limit} direct messages a cycle"
                if target.event == "flagged":
                    why += "; queued for the next cycle"
            else:
                try:
                    user_id, why = self._find(target.entry.login, emails)
                except StateStoreError as exc:
                    log.error("slack.dm_lookup_failed", error=str(exc))
                    user_id, why = None, "state store unavailable"
                if user_id:
                    plan.targets.append(
                        Target(target.event, target.entry, target.key, target.listed, user_id)
                    )
                    self._contact(plan, target.entry.login, emails, "")
                    continue
            self._unreachable(plan, target, why)
            self._contact(plan, target.entry.login, emails or {}, why)
        plan.notes += _counts(plan, self._missed)
        return plan

    def _identities(self, wanted: list[Target]) -> dict[str, str]:
        """Case-folded login → address, from the identity sources (``identify``)."""
        assert self._identify is not None
        logins = list(dict.fromkeys(t.entry.login for t in wanted))
        try:
            self._choices = self._identify(logins, self._report.at)
        except ReaperError as exc:
            log.error("identity.lookup_failed", error=str(exc))
            self._choices = {}
        return {k: c.email for k, c in self._choices.items() if c.email}

    def _prime(self, wanted: list[Target], emails: dict[str, str], max_age: timedelta) -> None:
        """Read Slack's directory first when that takes fewer requests than the look-ups."""
        assert self._ledger is not None
        addresses = [emails[k] for k in {t.entry.login.casefold() for t in wanted} if k in emails]
        try:
            prime(self._client, self._ledger, addresses, self._report.at, max_age)
        except StateStoreError as exc:
            log.error("slack.dm_lookup_failed", error=str(exc))

    def _contact(self, plan: DmPlan, login: str, emails: dict[str, str], why: str) -> None:
        """Remember how a person was reached: the address's source and the outcome."""
        key = login.casefold()
        source = self.source_of(login) or ("map" if key in emails else "")
        plan.contacts[key] = Contact(source or "none", outcome(why), emails.get(key))

    def _unreachable(self, plan: DmPlan, target: Target, why: str) -> None:
        self._missed[why] += 1
        log.info("slack.dm_unreachable", org=target.entry.org, login=target.entry.login, why=why)
        if target.listed:
            plan.unwarned.append(Unwarned(target.entry, why))

    def _find(self, login: str, emails: dict[str, str]) -> tuple[str | None, str]:
        """The Slack user id of a GitHub login, or None and why not."""
        assert self._ledger is not None
        mapped = self._user_map_file is not None
        choice = self._choices.get(login.casefold())
        missing = None
        if self._identify is not None:
            missing = choice.why if choice is not None and choice.why else NO_IDENTITY
        return find_user(
            self._client,
            self._ledger,
            login,
            emails,
            self._report.at,
            mapped=mapped,
            missing=missing,
        )

    def source_of(self, login: str) -> str:
        """The identity source that gave this login's address (``""``: none, or no sources)."""
        choice = self._choices.get(login.casefold())
        return choice.source if choice is not None else ""

    # -- step 2: after the channel report --------------------------------------------------

    def send(self, plan: DmPlan, admin_channel: str | None) -> list[Unwarned]:
        """Message every target once; return the listed ones whose message did not go out."""
        failed: list[Unwarned] = []
        for target in plan.targets:
            try:
                problem = self._send_one(target, admin_channel)
            except StateStoreError as exc:
                log.error("slack.dm_skipped", error=str(exc))
                problem = "state store unavailable"
            if problem:
                log.warning(
                    "slack.dm_failed",
                    org=target.entry.org,
                    login=target.entry.login,
                    kind=target.event,
                    error=problem,
                )
                if target.listed:
                    failed.append(Unwarned(target.entry, problem))
        return failed

    def _send_one(self, target: Target, admin_channel: str | None) -> str | None:
        assert self._ledger is not None
        if not self._ledger.claim(target.key, self._report.at):
            return None  # sent before: never twice
        now = self._report.at
        if target.event == "cancelled":
            message = cancelled_message(target.entry, now, admin_channel)
        else:
            message = flagged_message(target.entry, now, admin_channel, self._answers(target))
        message = scrub_data(message)
        try:
            opened = call(
                "conversations.open", lambda: self._client.conversations_open(users=target.user_id)
            )
            channel = str((opened.get("channel") or {}).get("id") or target.user_id)
            call(
                "chat.postMessage",
                lambda: self._client.chat_postMessage(
                    channel=channel, unfurl_links=False, link_names=False, **message
                ),
            )
        except SlackCallError as exc:
            if exc.code is not None:  # Slack refused: nothing was posted, a later cycle may retry
                self._ledger.release(target.key)
            return f"direct message failed ({exc.code or 'Slack unreachable'})"
        log.info("slack.dm_sent", org=target.entry.org, login=target.entry.login, kind=target.event)
        if target.event == "cancelled":
            self.told.append(
                (target.entry.org, target.entry.login, self.source_of(target.entry.login) or "map")
            )
        return None

    def _answers(self, target: Target) -> list[dict[str, Any]]:
        """The buttons of a warning ("I still need it", "Release it now"), if answers are on."""
        if self._buttons is None:
            return []
        entry, make = target.entry, self._buttons.make
        stamp = epoch(entry.flagged_at or self._report.at)
        user = target.user_id
        return [
            make(KEEP_LABEL, "keep", scope=entry.org, login=entry.login, stamp=stamp, user=user),
            make(
                RELEASE_LABEL, "release", scope=entry.org, login=entry.login, stamp=stamp, user=user
            ),
        ]


def _counts(plan: DmPlan, missed: Counter[str]) -> list[str]:
    """The report's lines on direct messages: how many reached, how many not and why."""
    warned = sum(1 for t in plan.targets if t.event == "flagged")
    told = len(plan.targets) - warned
    notes = [
        f"{_users(count)} {verb} by direct message."
        for count, verb in ((warned, "warned"), (told, "told of the cancellation"))
        if count
    ]
    if missed:
        reasons = "; ".join(f"{n} {why}" for why, n in missed.most_common())
        notes.append(f"{_users(missed.total())} not reached by direct message: {reasons}.")
    return notes


def _users(count: int) -> str:
    return "1 user is" if count == 1 else f"{count:,} users are"
