"""Releasing a seat: "Release it now" asks to confirm, "Yes, release it now" cancels.

The cancel goes through ``reaper.cycle.release.release_person``, the cycle's cancel path
(read again first, audited, within ``REAPER_MAX_CANCELLATIONS``), under the writer lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reaper.app import github_client
from reaper.core.domain import scope_label
from reaper.cycle.release import release_person
from reaper.cycle.teams import TeamSettings
from reaper.desk.state import busy, dry, flag_state, reply
from reaper.report.summary import date
from reaper.slack.buttons import Buttons, epoch
from reaper.slack.dm_text import CONFIRM_LABEL, DECLINE_LABEL, confirm_blocks
from reaper.slack.mrkdwn import escape
from reaper.store import SqlStore

if TYPE_CHECKING:
    from reaper.desk.answer import Answer
    from reaper.desk.state import Means
    from reaper.slack.buttons import Sealed


def ask_release(means: Means, sealed: Sealed, user: str) -> Answer:
    """Ask the person to confirm the release, unless the warning no longer applies."""
    now = means.clock()
    if not means.dry_run:
        store = SqlStore(means.settings.state_url)
        try:
            _flags, refusal = flag_state(store, sealed, now)
        finally:
            store.close()
        if refusal is not None:
            return refusal
    make = Buttons(means.sealer, epoch(now)).make
    scope, login, stamp = sealed.scope, sealed.login, sealed.stamp
    buttons = [
        make(CONFIRM_LABEL, "release_confirm", scope=scope, login=login, stamp=stamp, user=user),
        make(DECLINE_LABEL, "keep", scope=scope, login=login, stamp=stamp, user=user),
    ]
    buttons[0]["style"], buttons[1]["style"] = "danger", "primary"
    blocks = confirm_blocks(escape(scope_label(sealed.scope)), buttons)
    return reply(sealed, "asked", "Asked to confirm.", blocks=blocks)


def release(means: Means, sealed: Sealed, user: str) -> Answer:
    """Cancel the person's seat now, through the cycle's cancel path, or say why not."""
    who = escape(sealed.login)
    if means.dry_run:
        return dry(
            sealed,
            f"a live run would release {who}'s Copilot seat now, through the usual cancel "
            "(read again first, audited, within `REAPER_MAX_CANCELLATIONS`)",
        )
    now = means.clock()
    settings = means.settings
    with means.locked() as store:
        if store is None:
            return busy(sealed)
        _flags, refusal = flag_state(store, sealed, now)
        if refusal is not None:
            return refusal
        with github_client(settings, clock=means.clock, sleep=means.sleep) as github:
            released = release_person(
                github,
                store,
                settings.policy,
                orgs=list(settings.github_orgs),
                enterprise=settings.github_enterprise,
                login=sealed.login,
                by=f"Slack user {user}",
                clock=means.clock,
                sleep=means.sleep,
                max_cancellations=settings.max_cancellations,
                teams=TeamSettings(
                    tuple(settings.reclaim_team_refs), settings.reclaim_team_maintainers
                ),
            )
    said = escape(released.message)
    if not released.done:
        return reply(sealed, "failed", f"Your seat was not released: {said}.")
    note = f"*Released*: {said} on {date(now)}. Thanks for giving it back."
    return reply(sealed, "accepted", said, note=note)
