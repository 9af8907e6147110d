"""Keeping a seat: "I still need it", "No, keep it" (the person) and "Keep" (an admin).

The flag is removed and an exemption stored for ``REAPER_KEEP_DAYS``, audited
(``seat.kept``) with the Slack user who clicked, under the store's writer lock.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from reaper.desk.state import busy, dry, flag_state, reply
from reaper.logs import get_logger
from reaper.report.summary import date
from reaper.slack.mrkdwn import escape
from reaper.store import AuditEntry, Exemption

if TYPE_CHECKING:
    from reaper.desk.answer import Answer
    from reaper.desk.state import Means
    from reaper.slack.buttons import Sealed

log = get_logger(__name__)

KEPT = "seat.kept"


def keep(means: Means, sealed: Sealed, user: str) -> Answer:
    """Remove the flag and leave the seat alone for ``REAPER_KEEP_DAYS``, or say why not."""
    now = means.clock()
    until = now + timedelta(days=means.settings.keep_days)
    who = escape(sealed.login)
    if means.dry_run:
        return dry(
            sealed,
            f"a live run would keep {who}'s seat until {date(until)}: the flag removed, and "
            "not flagged again before then",
        )
    with means.locked() as store:
        if store is None:
            return busy(sealed)
        flags, refusal = flag_state(store, sealed, now)
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
    return reply(sealed, "accepted", f"Kept until {date(until)}.", note=note)
