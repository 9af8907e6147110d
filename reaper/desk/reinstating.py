"""Reinstating a seat: the report's "Reinstate" gives it back where the reaper took it.

It does what ``reaper reinstate --yes`` does, under the writer lock: seats go back where the
reaper cancelled them, and the person goes back into every team the reaper removed them
from. It refuses a button of an earlier cancel, a seat given back already, or a person the
reaper never cancelled nor removed from a team.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from reaper.app.reinstate import REINSTATED, Ask, Reinstater, taken_from
from reaper.app.team_reinstate import ADDED_BACK, team_plan
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
            f"a live run would give {who} a Copilot seat again where the reaper took it "
            f"(or add them back to the team it removed them from), "
            f"and leave them alone for {days} days",
        )
    with means.locked() as store:
        if store is None:
            return busy(sealed)
        scopes = taken_from(store, sealed.login)
        teams = team_plan(store, [sealed.login], None, means.settings.github_enterprise)
        later = [
            e
            for e in store.audit_log(login=sealed.login, since=when(sealed.stamp))
            if e.event in {REINSTATED, ADDED_BACK}
        ]
        if later:
            back = f"{who} was given a seat back on {date(later[-1].at)}"
            if scopes or teams:
                return reply(
                    sealed,
                    "stale",
                    f"This report is about an earlier cancel: {back} and lost it again "
                    "since. Use the newest report's button. Nothing was done.",
                )
            return reply(sealed, "already", f"Already done: {back}.")
        if not scopes and not teams:
            return reply(
                sealed,
                "gone",
                f"The audit log shows no seat of {who} cancelled by the reaper to give back, "
                "nor a team the reaper removed them from. "
                "Nothing was done.",
            )
        out, err = io.StringIO(), io.StringIO()
        ask = Ask((sealed.login,), "Reinstate clicked in Slack", f"Slack user {user}", yes=True)
        code = Reinstater(means.settings, ask, store, out, err, means.clock).run(
            {scope: [sealed.login] for scope in scopes}, teams
        )
    if code != 0:
        return reply(sealed, "failed", escape(" ".join(err.getvalue().split())))
    done = escape(" ".join(out.getvalue().split()))
    note = f"_Reinstated by <@{user}> on {date(means.clock())}: {done}_"
    return reply(sealed, "accepted", done, note=note)
