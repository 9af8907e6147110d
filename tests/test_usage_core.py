"""The pure rules of the usage report's second opinion and of light use (reaper.core.usage)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from reaper.core.domain import Action, Decision, Flag
from reaper.core.usage import HELD, day_bit, hold, light_use, overrule

USED = datetime(2026, 5, 1, 12, tzinfo=UTC)


def due(login: str, action: Action = Action.CANCEL) -> Decision:
    """A decision for a person flagged from activity on 1 May."""
    flag = Flag("acme", login, USED, USED, USED, USED)
    return Decision("acme", login, action, "idle 40 days, grace period over", None, flag)


RECENT_FROM = date(2026, 5, 10)  # now less REAPER_INACTIVE_DAYS


@pytest.mark.parametrize(
    ("report_day", "is_due", "action"),
    [
        (date(2026, 5, 12), True, Action.UNFLAG),  # later than the seat record, recent: kept
        (date(2026, 5, 10), True, Action.UNFLAG),  # recent by a day's margin: kept
        (date(2026, 5, 9), True, Action.CANCEL),  # later, but idle past the threshold anyway
        (date(2026, 5, 1), True, Action.CANCEL),  # the same day: no new use
        (date(2026, 4, 20), True, Action.CANCEL),  # earlier: no new use
        (None, True, Action.CANCEL),  # not in the report
        (date(2026, 5, 12), False, Action.CANCEL),  # not among the due persons asked about
    ],
)
def test_overrule_table(report_day: date | None, is_due: bool, action: Action) -> None:
    """Only a due person the report shows active after their flag's activity, recently, is kept."""
    latest = {"ida": report_day} if report_day else {}
    due_keys = {"ida"} if is_due else set()
    decisions, found = overrule([due("Ida")], latest, due_keys, recent_from=RECENT_FROM)
    assert decisions[0].action is action
    assert len(found) == (action is Action.UNFLAG)
    if found:
        assert (found[0].seat_day, found[0].report_day) == (date(2026, 5, 1), report_day)
        assert "records disagree" in decisions[0].reason


def test_hold_keeps_only_the_cancels_named() -> None:
    """Held: the cancels of the logins named stay flagged with the reason; others untouched."""
    decisions = hold(
        [due("ida"), due("ivo"), due("ann", Action.IN_GRACE)], {"ida": "403", "ann": "403"}
    )
    assert [d.action for d in decisions] == [Action.IN_GRACE, Action.CANCEL, Action.IN_GRACE]
    assert decisions[0].reason == f"{HELD} (403)"
    assert decisions[2].reason == "idle 40 days, grace period over"


def test_light_use_counts_days_not_records() -> None:
    """Active days are counted once each; 0 days and more than the limit are not listed."""
    start = date(2026, 5, 1)
    mask = day_bit(date(2026, 5, 3), start) | day_bit(date(2026, 5, 3), start)
    days = {"ann": mask, "bob": mask | day_bit(date(2026, 5, 4), start), "cy": 0, "dee": 0b111}
    holders = {k: ("acme", k, "business") for k in ("ann", "bob", "cy", "dee")}
    found = light_use(days, holders, 2)
    assert [(u.login, u.days) for u in found] == [("ann", 1), ("bob", 2)]
    assert day_bit(date(2026, 5, 29), start) == 0  # outside the 28 days
    assert light_use(days, {}, 2) == []  # only seat holders
