"""``reaper demo``'s epilogue: a cancel moved to the billing-cycle end, and a usage report's save.

After the main story, a small org of its own (own state file, no direct messages) runs with
``REAPER_CANCEL_TIMING=cycle_end`` and learns its cycle date from a seat already pending
cancellation. Two idle people are flagged; when their grace ends, GitHub's usage report shows
one of them working two days earlier while the seat record lags ("records disagree": kept,
flag dropped), and the other's cancel waits for the last run before the cycle date, when it
happens.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from reaper.app import open_cycle

if TYPE_CHECKING:
    from collections.abc import Callable

    from reaper.config.settings import Settings
    from reaper.simulator import Simulator

DAY = timedelta(days=1)
ORG = "acme-finance"
LAGGING = "lagging-lee"
WAITING = "month-end-mia"
GRACE_DAYS = 7


class _Clock(Protocol):
    now: datetime

    def __call__(self) -> datetime: ...


def billing_story(
    sim: Simulator,
    settings: Settings,
    *,
    clock: _Clock,
    start: datetime,
    folder: str,
    out: TextIO,
    print_slack: Callable[[Simulator, TextIO, int], int],
) -> bool:
    """Run the epilogue from ``start`` on ``clock``; ``True`` when both ended as they should."""
    clock.now = start  # the simulator's clock too: its usage report follows it
    sim.add_org(ORG)
    app = settings.github_app_id or ""
    if app.isdigit():  # the demo authenticates as an App: install it on this org too
        sim.apps.install(int(app), ORG)
    for login in (LAGGING, WAITING):
        sim.add_seat(ORG, login, created_at=start - 300 * DAY, last_activity_at=start - 70 * DAY)
    cycle = (start + (GRACE_DAYS + 16) * DAY).date()  # the first day of the next billing cycle
    sim.add_seat(ORG, "left-lou", created_at=start - 400 * DAY, pending_cancellation_date=cycle)
    update: dict[str, Any] = {
        "github_orgs": [ORG],
        "github_enterprise": None,
        "cancel_timing": "cycle_end",
        "slack_dm": False,
        "slack_app_token": None,
        "user_map_file": None,
        "max_cancellation_percent": 100,  # a three-seat org: the limits have their own story
        "state_url": f"sqlite:///{folder}/billing-demo.db",
    }
    local = settings.model_copy(update=update)
    seen = len(sim.slack_messages)

    def run(title: str) -> Any:
        nonlocal seen
        out.write(f"\n{'=' * 78}\n{title}\n{'=' * 78}\n")
        with open_cycle(local, clock=clock) as one:
            outcome = one.run()
        seen = print_slack(sim, out, seen)
        return outcome

    first = run(
        f"Epilogue, {ORG}: cancels wait for the billing-cycle end ({cycle.isoformat()}, learnt "
        f"from left-lou's pending cancellation). {LAGGING} and {WAITING} are flagged."
    )
    clock.now = start + GRACE_DAYS * DAY
    sim.usage.add(ORG, LAGGING, (clock.now - 2 * DAY).date())  # the seat record lags
    due = run(
        f"Epilogue, day {GRACE_DAYS}: both are due. GitHub's usage report shows {LAGGING} "
        f"working 2 days ago; {WAITING}'s cancel moves to the last run before the cycle date."
    )
    planned = next((e.due_at for e in due.report.entries("in_grace") if e.login == WAITING), None)
    if planned is None:
        return False
    clock.now = datetime.combine(planned.date(), time(9), UTC)
    sim.set_activity(ORG, LAGGING, start + (GRACE_DAYS - 2) * DAY)  # the seat record caught up
    last = run(
        f"Epilogue, {planned.date().isoformat()}: the last run that still saves a month; "
        f"{LAGGING}'s seat record has caught up with the usage report."
    )
    pending = (sim.seat(ORG, WAITING) or {}).get("pending_cancellation_date")
    kept = (sim.seat(ORG, LAGGING) or {}).get("pending_cancellation_date") is None
    return bool(first.ok and due.ok and last.ok and pending and kept)
