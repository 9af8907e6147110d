"""Reinstating a seat: the report's "Reinstate" gives it back where the reaper took it.

It does what ``reaper reinstate --yes`` does, under the writer lock, and refuses a button of
an earlier cancel, a seat given back already, or a person the reaper never cancelled.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from reaper.app.reinstate import REINSTATED, Ask, Reinstater, taken_from
from reaper.desk.state import busy, dry, reply, when
from reaper.report.summary import date
from reaper.slack.mrkdwn import escape

if TYPE_CHECKING:
    from reaper.desk.answer import Answer
    from reaper.desk.state import Means
    from reaper.slack.buttons import Sealed


def reinstate(means: Means, sealed: Sealed, user: str) -> Answer:
    """Give the seat back where the reaper took it, or say why not."""
    who = escape(sealed.login)
    days = means.settings.reinstate_exempt_days
    if means.dry_run:
        return dry(
            sealed,
            f"a live run would give {who} a Copilot seat again where the reaper took it, "
            f"and leave them alone for {days} days",
        )
    with means.locked() as store:
        if store is None:
            return busy(sealed)
        scopes = taken_from(store, sealed.login)
        later = [
            e
            for e in store.audit_log(login=sealed.login, since=when(sealed.stamp))
            if e.event == REINSTATED
        ]
        if later:
            back = f"{who} was given a seat back on {date(later[-1].at)}"
            if scopes:
                return reply(
                    sealed,
                    "stale",
                    f"This report is about an earlier cancel: {back} and lost it again "
                    "since. Use the newest report's button. Nothing was done.",
                )
            return reply(sealed, "already", f"Already done: {back}.")
        if not scopes:
            return reply(
                sealed,
                "gone",
                f"The audit log shows no seat of {who} cancelled by the reaper to give back. "
                "Nothing was done.",
            )
        out, err = io.StringIO(), io.StringIO()
        ask = Ask((sealed.login,), "Reinstate clicked in Slack", f"Slack user {user}", yes=True)
        code = Reinstater(means.settings, ask, store, out, err, means.clock).run(
            {scope: [sealed.login] for scope in scopes}
        )
    if code != 0:
        return reply(sealed, "failed", escape(" ".join(err.getvalue().split())))
    done = escape(" ".join(out.getvalue().split()))
    note = f"_Reinstated by <@{user}> on {date(means.clock())}: {done}_"
    return reply(sealed, "accepted", done, note=note)
