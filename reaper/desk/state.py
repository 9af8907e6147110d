"""What every answer to a click stands on: the service's means, the store, the common refusals.

``Means`` carries what the running service lends the click desk (settings, sealer, clock,
sleep) and opens the store under the writer lock, like a cycle, so a click never races one.
``flag_state`` tells whether a keep or release click still applies to the person's flag, and
if not, why (flagged again, already kept, already released, no longer flagged).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from reaper.desk.answer import Answer
from reaper.report.summary import date
from reaper.slack.buttons import epoch
from reaper.slack.mrkdwn import escape
from reaper.store import SqlStore, default_holder

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from reaper.config.settings import Settings
    from reaper.core.domain import Flag
    from reaper.slack.buttons import Sealed, Sealer

LOCK_WAIT_SECONDS = 20.0  # a click waits this long for a running cycle, then says "busy"
CANCELLED = "seat.cancelled"


def when(stamp: int) -> datetime:
    """A button's stamp (whole seconds since the epoch) as a UTC time."""
    return datetime.fromtimestamp(stamp, UTC)


@dataclass(frozen=True, slots=True)
class Means:
    """What the running service lends an answer: its settings, sealer, clock and waits."""

    settings: Settings
    sealer: Sealer
    clock: Callable[[], datetime]
    sleep: Callable[[float], None]
    lock_wait: float = LOCK_WAIT_SECONDS

    @property
    def dry_run(self) -> bool:
        """Whether clicks only say what a live run would do."""
        return self.settings.dry_run

    @contextmanager
    def locked(self) -> Iterator[SqlStore | None]:
        """The store under the writer lock, or ``None`` when a cycle kept it too long."""
        store = SqlStore(self.settings.state_url)
        try:
            with store.lock(f"{default_holder()} slack", wait=self.lock_wait) as held:
                yield store if held else None
        finally:
            store.close()


def reply(sealed: Sealed, outcome: str, say: str, **more: Any) -> Answer:
    """The answer to a click on ``sealed``: an outcome, and words for the clicker."""
    return Answer(sealed.kind, outcome, say, sealed.login, sealed.scope, **more)


def dry(sealed: Sealed, would: str) -> Answer:
    """The answer of a dry run: what a live run would do, and that nothing changed."""
    return reply(sealed, "dry_run", f"Dry run: {would}. Nothing was changed.")


def busy(sealed: Sealed) -> Answer:
    """The answer while a cycle holds the writer lock: nothing done, try again."""
    return reply(
        sealed,
        "busy",
        "A reaper cycle is running right now, so nothing was done. Try again in a few minutes.",
    )


def flag_state(store: SqlStore, sealed: Sealed, now: datetime) -> tuple[list[Flag], Answer | None]:
    """The person's flags, or why the click no longer applies to them."""
    who = escape(sealed.login)
    flags = store.flags_of(sealed.login)
    if flags and any(epoch(f.flagged_at) == sealed.stamp for f in flags):
        return flags, None
    if flags:
        again = date(max(f.flagged_at for f in flags))
        return flags, reply(
            sealed,
            "stale",
            f"This message is about an earlier warning: {who}'s seat was flagged again on "
            f"{again}. Use the newest message. Nothing was done.",
        )
    exemption = store.exemptions(now).get(sealed.login.casefold())
    if exemption is not None:
        return [], reply(
            sealed,
            "already",
            f"Already kept: {who}'s seat is left alone until {date(exemption.until)} "
            f"({escape(exemption.by)}). Nothing more to do.",
        )
    cancels = [
        e
        for e in store.audit_log(login=sealed.login, since=when(sealed.stamp))
        if e.event == CANCELLED
    ]
    if cancels:
        return [], reply(
            sealed,
            "already",
            f"Already released: {who}'s seat was cancelled on {date(cancels[-1].at)}. "
            "Nothing was done.",
        )
    return [], reply(
        sealed,
        "gone",
        f"{who}'s seat is no longer flagged (Copilot was used since, or the seat is gone). "
        "Nothing to do.",
    )
