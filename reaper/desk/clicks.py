"""What a click does: check who clicked, re-read the state, act or refuse, and say why.

Every click is answered (``Answer``), never raises: an unreadable value, a clicker who may not
use the button, a message that no longer applies (flag gone, already kept, already released,
already given back, an earlier warning) and a busy store are refused, saying why, and change
nothing. What changes state runs under the store's writer lock, like a cycle, so a click
never races one. In a dry run nothing is read from GitHub or written anywhere: the answer
says what a live run would do.

- keep ("I still need it", "No, keep it") and admin_keep (the report's "Keep"): the flag is
  removed and an exemption stored for ``REAPER_KEEP_DAYS``, audited (``seat.kept``) with the
  Slack user who clicked.
- release ("Release it now"): asks for confirmation; release_confirm ("Yes, release it now")
  cancels through ``reaper.cycle.release.release_person`` (the cycle's cancel path).
- reinstate (the report's "Reinstate"): gives the seat back where the reaper took it, as
  ``reaper reinstate --yes`` does.
"""

from __future__ import annotations

import io
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from reaper.app import github_client, utc_now
from reaper.app.reinstate import REINSTATED, Ask, Reinstater, taken_from
from reaper.core.domain import scope_label
from reaper.cycle.release import release_person
from reaper.desk.answer import Answer, Click
from reaper.errors import ReaperError
from reaper.logs import get_logger
from reaper.report.summary import date
from reaper.slack.buttons import (
    ADMIN_KINDS,
    DM_KINDS,
    Buttons,
    Sealed,
    UnreadableValueError,
    action_id,
    epoch,
)
from reaper.slack.dm_text import CONFIRM_LABEL, DECLINE_LABEL, confirm_blocks
from reaper.slack.mrkdwn import escape
from reaper.store import AuditEntry, Exemption, SqlStore, default_holder

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from reaper.config.settings import Settings
    from reaper.core.domain import Flag
    from reaper.desk.who import Admins, Resolver
    from reaper.slack.buttons import Sealer

log = get_logger(__name__)

LOCK_WAIT_SECONDS = 20.0  # a click waits this long for a running cycle, then says "busy"
KEPT = "seat.kept"
CANCELLED = "seat.cancelled"


def _when(stamp: int) -> datetime:
    return datetime.fromtimestamp(stamp, UTC)


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
        self._settings = settings
        self._sealer = sealer
        self._resolver = resolver
        self._admins = admins
        self._clock = clock
        self._sleep = sleep
        self._lock_wait = lock_wait

    @property
    def dry_run(self) -> bool:
        """Whether clicks only say what a live run would do."""
        return self._settings.dry_run

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
            return self._answer(
                sealed,
                "unreadable",
                "This button is not what it claims to be. Nothing was done.",
                detail=f"action_id {click.action_id} carries a {sealed.kind} value",
            )
        refusal = self._authorize(sealed, click.user)
        if refusal is not None:
            return refusal
        act = {
            "keep": self._keep,
            "admin_keep": self._keep,
            "release": self._ask_release,
            "release_confirm": self._release,
            "reinstate": self._reinstate,
        }[sealed.kind]
        try:
            return act(sealed, click.user)
        except ReaperError as exc:
            return self._answer(
                sealed, "failed", f"Nothing could be done: {escape(str(exc))}", detail=str(exc)
            )
        except Exception as exc:  # noqa: BLE001  (the service outlives any one click)
            return self._answer(
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
            return self._answer(
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
        return self._answer(
            sealed,
            "not_allowed",
            f"Only the person this Copilot seat belongs to may use these buttons{because}. "
            "Nothing was done.",
        )

    # -- the actions -----------------------------------------------------------------------

    def _keep(self, sealed: Sealed, user: str) -> Answer:
        now = self._clock()
        until = now + timedelta(days=self._settings.keep_days)
        who = escape(sealed.login)
        if self.dry_run:
            return self._dry(
                sealed,
                f"a live run would keep {who}'s seat until {date(until)}: the flag removed, and "
                "not flagged again before then",
            )
        with self._locked() as store:
            if store is None:
                return self._busy(sealed)
            flags, refusal = self._flag_state(store, sealed, now)
            if refusal is not None:
                return refusal
            by = f"Slack user {user}" + (" (admin)" if sealed.kind == "admin_keep" else "")
            reason = f"kept at the request of {by}, left alone until {date(until)}"
            store.commit(
                remove=flags,
                exempt=[Exemption(sealed.login, until, "kept in Slack", by, now)],
                audit=[AuditEntry(now, flags[0].org, sealed.login, KEPT, reason)],
            )
        log.info(KEPT, org=flags[0].org, login=sealed.login, by=by, until=until.isoformat())
        if sealed.kind == "admin_keep":
            note = f"_Kept until {date(until)} by <@{user}>_"
        else:
            note = (
                f"*You keep your seat*: the warning above no longer applies, and the seat will "
                f"not be flagged again before {date(until)}. Thanks for letting us know."
            )
        return self._answer(sealed, "accepted", f"Kept until {date(until)}.", note=note)

    def _ask_release(self, sealed: Sealed, user: str) -> Answer:
        now = self._clock()
        if not self.dry_run:
            store = SqlStore(self._settings.state_url)
            try:
                _flags, refusal = self._flag_state(store, sealed, now)
            finally:
                store.close()
            if refusal is not None:
                return refusal
        make = Buttons(self._sealer, epoch(now)).make
        scope, login, stamp = sealed.scope, sealed.login, sealed.stamp
        buttons = [
            make(
                CONFIRM_LABEL, "release_confirm", scope=scope, login=login, stamp=stamp, user=user
            ),
            make(DECLINE_LABEL, "keep", scope=scope, login=login, stamp=stamp, user=user),
        ]
        buttons[0]["style"], buttons[1]["style"] = "danger", "primary"
        blocks = confirm_blocks(escape(scope_label(sealed.scope)), buttons)
        return self._answer(sealed, "asked", "Asked to confirm.", blocks=blocks)

    def _release(self, sealed: Sealed, user: str) -> Answer:
        who = escape(sealed.login)
        if self.dry_run:
            return self._dry(
                sealed,
                f"a live run would release {who}'s Copilot seat now, through the usual cancel "
                "(read again first, audited, within `REAPER_MAX_CANCELLATIONS`)",
            )
        now = self._clock()
        settings = self._settings
        with self._locked() as store:
            if store is None:
                return self._busy(sealed)
            _flags, refusal = self._flag_state(store, sealed, now)
            if refusal is not None:
                return refusal
            with github_client(settings, clock=self._clock, sleep=self._sleep) as github:
                released = release_person(
                    github,
                    store,
                    settings.policy,
                    orgs=list(settings.github_orgs),
                    enterprise=settings.github_enterprise,
                    login=sealed.login,
                    by=f"Slack user {user}",
                    clock=self._clock,
                    sleep=self._sleep,
                    max_cancellations=settings.max_cancellations,
                )
        said = escape(released.message)
        if not released.done:
            return self._answer(sealed, "failed", f"Your seat was not released: {said}.")
        note = f"*Released*: {said} on {date(now)}. Thanks for giving it back."
        return self._answer(sealed, "accepted", said, note=note)

    def _reinstate(self, sealed: Sealed, user: str) -> Answer:
        who = escape(sealed.login)
        days = self._settings.reinstate_exempt_days
        if self.dry_run:
            return self._dry(
                sealed,
                f"a live run would give {who} a Copilot seat again where the reaper took it, "
                f"and leave them alone for {days} days",
            )
        with self._locked() as store:
            if store is None:
                return self._busy(sealed)
            scopes = taken_from(store, sealed.login)
            later = [
                e
                for e in store.audit_log(login=sealed.login, since=_when(sealed.stamp))
                if e.event == REINSTATED
            ]
            if later:
                back = f"{who} was given a seat back on {date(later[-1].at)}"
                if scopes:
                    return self._answer(
                        sealed,
                        "stale",
                        f"This report is about an earlier cancel: {back} and lost it again "
                        "since. Use the newest report's button. Nothing was done.",
                    )
                return self._answer(sealed, "already", f"Already done: {back}.")
            if not scopes:
                return self._answer(
                    sealed,
                    "gone",
                    f"The audit log shows no seat of {who} cancelled by the reaper to give back. "
                    "Nothing was done.",
                )
            out, err = io.StringIO(), io.StringIO()
            ask = Ask((sealed.login,), "Reinstate clicked in Slack", f"Slack user {user}", yes=True)
            code = Reinstater(self._settings, ask, store, out, err, self._clock).run(
                {scope: [sealed.login] for scope in scopes}
            )
        if code != 0:
            return self._answer(sealed, "failed", escape(" ".join(err.getvalue().split())))
        done = escape(" ".join(out.getvalue().split()))
        note = f"_Reinstated by <@{user}> on {date(self._clock())}: {done}_"
        return self._answer(sealed, "accepted", done, note=note)

    # -- state -------------------------------------------------------------------------------

    def _flag_state(
        self, store: SqlStore, sealed: Sealed, now: datetime
    ) -> tuple[list[Flag], Answer | None]:
        """The person's flags, or why the click no longer applies to them."""
        who = escape(sealed.login)
        flags = store.flags_of(sealed.login)
        if flags and any(epoch(f.flagged_at) == sealed.stamp for f in flags):
            return flags, None
        if flags:
            again = date(max(f.flagged_at for f in flags))
            return flags, self._answer(
                sealed,
                "stale",
                f"This message is about an earlier warning: {who}'s seat was flagged again on "
                f"{again}. Use the newest message. Nothing was done.",
            )
        exemption = store.exemptions(now).get(sealed.login.casefold())
        if exemption is not None:
            return [], self._answer(
                sealed,
                "already",
                f"Already kept: {who}'s seat is left alone until {date(exemption.until)} "
                f"({escape(exemption.by)}). Nothing more to do.",
            )
        cancels = [
            e
            for e in store.audit_log(login=sealed.login, since=_when(sealed.stamp))
            if e.event == CANCELLED
        ]
        if cancels:
            return [], self._answer(
                sealed,
                "already",
                f"Already released: {who}'s seat was cancelled on {date(cancels[-1].at)}. "
                "Nothing was done.",
            )
        return [], self._answer(
            sealed,
            "gone",
            f"{who}'s seat is no longer flagged (Copilot was used since, or the seat is gone). "
            "Nothing to do.",
        )

    @contextmanager
    def _locked(self) -> Iterator[SqlStore | None]:
        """The store under the writer lock, or ``None`` when a cycle kept it too long."""
        store = SqlStore(self._settings.state_url)
        try:
            with store.lock(f"{default_holder()} slack", wait=self._lock_wait) as held:
                yield store if held else None
        finally:
            store.close()

    # -- answers -----------------------------------------------------------------------------

    def _answer(self, sealed: Sealed, outcome: str, say: str, **more: Any) -> Answer:
        return Answer(sealed.kind, outcome, say, sealed.login, sealed.scope, **more)

    def _dry(self, sealed: Sealed, would: str) -> Answer:
        return self._answer(sealed, "dry_run", f"Dry run: {would}. Nothing was changed.")

    def _busy(self, sealed: Sealed) -> Answer:
        return self._answer(
            sealed,
            "busy",
            "A reaper cycle is running right now, so nothing was done. Try again in a few minutes.",
        )
