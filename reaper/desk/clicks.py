"""What a click does: check who clicked, re-read the state, act or refuse, and say why.

Every click is answered (``Answer``), never raises: an unreadable value, a clicker who may not
use the button, a message that no longer applies (flag gone, already kept, already released,
already given back, an earlier warning) and a busy store are refused, saying why, and change
nothing. What changes state runs under the store's writer lock, like a cycle, so a click
never races one (``reaper.desk.state``). In a dry run nothing is read from GitHub or written
anywhere: the answer says what a live run would do.

- keep ("I still need it", "No, keep it") and admin_keep (the report's "Keep"): the flag is
  removed and an exemption stored for ``REAPER_KEEP_DAYS``, audited (``seat.kept``) with the
  Slack user who clicked (``reaper.desk.keeping``).
- release ("Release it now"): asks for confirmation; release_confirm ("Yes, release it now")
  cancels through ``reaper.cycle.release.release_person`` (the cycle's cancel path;
  ``reaper.desk.releasing``).
- reinstate (the report's "Reinstate"): gives the seat back where the reaper took it, as
  ``reaper reinstate --yes`` does (``reaper.desk.reinstating``).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from reaper.app import utc_now
from reaper.desk.answer import Answer
from reaper.desk.keeping import keep
from reaper.desk.reinstating import reinstate
from reaper.desk.releasing import ask_release, release
from reaper.desk.state import LOCK_WAIT_SECONDS, Means, reply
from reaper.errors import ReaperError
from reaper.slack.buttons import ADMIN_KINDS, DM_KINDS, UnreadableValueError, action_id
from reaper.slack.mrkdwn import escape

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from reaper.config.settings import Settings
    from reaper.desk.answer import Click
    from reaper.desk.who import Admins, Resolver
    from reaper.slack.buttons import Sealed, Sealer

ACTS: dict[str, Callable[[Means, Sealed, str], Answer]] = {
    "keep": keep,
    "admin_keep": keep,
    "release": ask_release,
    "release_confirm": release,
    "reinstate": reinstate,
}


class Desk:
    """Answers clicks with the settings, the sealer and the look-ups of the running service."""

    def __init__(
        self,
        settings: Settings,
        *,
        sealer: Sealer,
        resolver: Resolver,
        admins: Admins,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
        lock_wait: float = LOCK_WAIT_SECONDS,
    ) -> None:
        self._means = Means(settings, sealer, clock, sleep, lock_wait)
        self._sealer = sealer
        self._resolver = resolver
        self._admins = admins
        self._clock = clock

    @property
    def dry_run(self) -> bool:
        """Whether clicks only say what a live run would do."""
        return self._means.dry_run

    def answer(self, click: Click) -> Answer:
        """Check, act or refuse; never raises."""
        try:
            sealed = self._sealer.open(click.value)
        except UnreadableValueError as exc:
            return Answer(
                "unknown",
                "unreadable",
                "This button could not be read (it may be older than the bot token, or "
                "altered). Nothing was done.",
                detail=str(exc),
            )
        if click.action_id != action_id(sealed.kind):
            return reply(
                sealed,
                "unreadable",
                "This button is not what it claims to be. Nothing was done.",
                detail=f"action_id {click.action_id} carries a {sealed.kind} value",
            )
        refusal = self._authorize(sealed, click.user)
        if refusal is not None:
            return refusal
        act = ACTS[sealed.kind]
        try:
            return act(self._means, sealed, click.user)
        except ReaperError as exc:
            return reply(
                sealed, "failed", f"Nothing could be done: {escape(str(exc))}", detail=str(exc)
            )
        except Exception as exc:  # noqa: BLE001  (the service outlives any one click)
            return reply(
                sealed,
                "failed",
                "Nothing could be done: an unexpected error (in the reaper's log).",
                detail=f"{type(exc).__name__}: {str(exc)[:300]}",
            )

    # -- who may click -------------------------------------------------------------------

    def _authorize(self, sealed: Sealed, user: str) -> Answer | None:
        if sealed.kind in ADMIN_KINDS:
            if self._admins.allows(user):
                return None
            return reply(
                sealed,
                "not_allowed",
                "Only Copilot admins (`REAPER_SLACK_ADMINS`) may use this button. "
                "Nothing was done.",
            )
        assert sealed.kind in DM_KINDS
        owner, why = self._resolver.slack_user(sealed.login, self._clock())
        if user == sealed.user and owner == user:
            return None
        because = f" ({escape(why)})" if owner is None and why else ""
        return reply(
            sealed,
            "not_allowed",
            f"Only the person this Copilot seat belongs to may use these buttons{because}. "
            "Nothing was done.",
        )
