"""A person granted by several orgs is decided only on a complete view of their grants."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from reaper.simulator import Fault
from reaper.store import CancelIntent, SqlStore
from tests.harness import DAY, Reaper

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.cycle.orchestrator import CycleOutcome
    from reaper.simulator import Simulator
    from tests.conftest import FakeClock

GLOBEX_SEATS = "^/orgs/globex/copilot/billing/seats$"


@pytest.fixture
def two_orgs(sim: Simulator) -> Simulator:
    """Orgs acme and globex, not in any enterprise."""
    sim.add_org("globex")
    return sim


def grant(sim: Simulator, clock: FakeClock, org: str, login: str, idle: float, **kw: Any) -> None:
    sim.add_seat(
        org, login, created_at=clock.now - 400 * DAY, last_activity_at=clock.now - idle * DAY, **kw
    )


def reaper_for(sim: Simulator, clock: FakeClock, tmp: Path, **overrides: Any) -> Reaper:
    return Reaper(sim, clock, tmp, overrides={"github_orgs": ["acme", "globex"], **overrides})


def globex_unreadable(sim: Simulator) -> None:
    """Every read of globex's seat list fails, retries included, for the next cycle."""
    sim.inject(Fault(method="GET", path=GLOBEX_SEATS, status=500, times=1000))


def cancels(sim: Simulator) -> list[tuple[str, str]]:
    return [
        (r.path.split("/")[2], login)
        for r in sim.requests
        if r.method == "DELETE" and r.json is not None
        for login in r.json["selected_usernames"]
    ]


def warned(reaper: Reaper, login: str) -> int:
    return sum(1 for event, who in reaper.audit() if event == "flag.warned" and who == login)


def waiting(outcome: CycleOutcome) -> list[str]:
    return [e.login for e in outcome.report.entries("waiting")]


@pytest.mark.parametrize("comes_back", [True, False])
def test_a_split_person_waits_while_one_list_fails(
    two_orgs: Simulator, clock: FakeClock, tmp_path: Path, comes_back: bool
) -> None:
    """Due while globex's list fails: nothing happens; decided on the first day both read."""
    grant(two_orgs, clock, "acme", "split", idle=45)
    grant(two_orgs, clock, "globex", "split", idle=45)
    reaper = reaper_for(two_orgs, clock, tmp_path)
    assert reaper.run().report.totals.newly_flagged == 1
    (flag,) = reaper.flags().values()
    clock.advance(days=8)  # past the due date
    if comes_back:  # used six hours ago, through globex only
        two_orgs.set_activity("globex", "split", clock.now - DAY / 4)
    globex_unreadable(two_orgs)
    held = reaper.run()
    two_orgs.clear_faults()
    assert cancels(two_orgs) == []
    assert waiting(held) == ["split"]
    assert held.report.totals.waiting == 1
    assert "globex" in held.report.entries("waiting")[0].reason
    assert list(reaper.flags().values()) == [flag]  # kept untouched: not moved, not dropped
    assert ("seat.cancelled", "split") not in reaper.audit()

    clock.advance(days=1)
    after = reaper.run()
    assert after.ok, after.report.orgs
    if comes_back:
        assert cancels(two_orgs) == []
        assert after.report.totals.reactivated == 1
        assert reaper.flags() == {}
    else:
        assert sorted(cancels(two_orgs)) == [("acme", "split"), ("globex", "split")]
        assert after.report.totals.cancelled == 1
    assert warned(reaper, "split") == 1


def test_a_person_remembered_in_a_failing_org_is_not_flagged_from_the_other(
    two_orgs: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """Idle in acme, busy in globex: globex unreadable the next day, so nobody is flagged."""
    grant(two_orgs, clock, "acme", "roamer", idle=45)
    grant(two_orgs, clock, "globex", "roamer", idle=1)
    grant(two_orgs, clock, "acme", "lonely", idle=45)
    reaper = reaper_for(two_orgs, clock, tmp_path)
    first = reaper.run()
    assert first.report.totals.active == 1
    assert {login for _, login in reaper.flags()} == {"lonely"}
    clock.advance(days=1)
    globex_unreadable(two_orgs)
    partial = reaper.run()
    assert partial.report.totals.newly_flagged == 0
    assert waiting(partial) == ["roamer"]
    assert {login for _, login in reaper.flags()} == {"lonely"}
    assert "roamer" in "\n".join(str(m) for m in two_orgs.slack_messages)


def test_a_dry_run_remembers_nothing_and_waits_on_what_the_store_knows(
    two_orgs: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """Where persons hold grants is written by live cycles only; a dry run reads it."""
    grant(two_orgs, clock, "acme", "roamer", idle=45)
    grant(two_orgs, clock, "globex", "roamer", idle=1)
    dry = reaper_for(two_orgs, clock, tmp_path, dry_run=True)
    assert dry.run().ok
    store = SqlStore(dry.state_url)
    assert store.grant_scopes() == {}
    store.close()
    live = reaper_for(two_orgs, clock, tmp_path)
    assert live.run().ok
    store = SqlStore(live.state_url)
    assert store.grant_scopes() == {"roamer": frozenset({"acme", "globex"})}
    store.close()
    globex_unreadable(two_orgs)
    assert waiting(dry.run()) == ["roamer"]


def test_a_grant_gone_from_a_list_read_completely_is_forgotten(
    two_orgs: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """Once globex's complete list no longer holds the person, acme alone decides for them."""
    grant(two_orgs, clock, "acme", "mover", idle=45)
    grant(two_orgs, clock, "globex", "mover", idle=1)
    reaper = reaper_for(two_orgs, clock, tmp_path)
    assert reaper.run().report.totals.active == 1
    two_orgs.remove_seat("globex", "mover")
    clock.advance(days=1)
    assert reaper.run().report.totals.newly_flagged == 1
    store = SqlStore(reaper.state_url)
    assert store.grant_scopes() == {"mover": frozenset({"acme"})}
    store.close()


def test_a_refused_grant_goes_later_on_the_original_due_date(
    two_orgs: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """The grant in acme goes, globex refuses: the rest goes the next day, no second warning."""
    grant(two_orgs, clock, "acme", "half", idle=45)
    grant(two_orgs, clock, "globex", "half", idle=45)
    reaper = reaper_for(two_orgs, clock, tmp_path)
    assert reaper.run().report.totals.newly_flagged == 1
    (flag,) = reaper.flags().values()
    clock.advance(days=8)
    two_orgs.inject(
        Fault(method="DELETE", path="^/orgs/globex/copilot/billing/selected_users$", status=403)
    )
    partial = reaper.run()
    assert cancels(two_orgs) == [("acme", "half"), ("globex", "half")]  # globex's refused
    assert (two_orgs.seat("globex", "half") or {})["pending_cancellation_date"] is None
    assert partial.report.totals.cancelled == 0
    assert list(reaper.flags().values()) == [flag]
    clock.advance(days=1)
    rest = reaper.run()
    assert rest.report.totals.newly_flagged == 0
    assert rest.report.totals.cancelled == 1
    assert cancels(two_orgs)[2:] == [("globex", "half")]
    assert warned(reaper, "half") == 1
    assert reaper.flags() == {}


def test_a_reconciled_cancel_leaves_the_team_grant_on_the_original_due_date(
    two_orgs: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A lost cancel confirmed later keeps the flag while a team still grants: no new grace."""
    grant(two_orgs, clock, "acme", "teamed", idle=45)
    grant(two_orgs, clock, "globex", "teamed", idle=45, team="everyone")
    reaper = reaper_for(two_orgs, clock, tmp_path)
    assert reaper.run().report.totals.newly_flagged == 1
    (flag,) = reaper.flags().values()
    clock.advance(days=8)
    # The process died after GitHub took acme's cancel, before anything was recorded.
    store = SqlStore(reaper.state_url)
    store.commit(open_intents=[CancelIntent("acme", "teamed", clock.now)])
    store.close()
    two_orgs.remove_seat("acme", "teamed")
    grant(two_orgs, clock, "acme", "teamed", idle=53, pending_cancellation_date="2026-04-01")
    outcome = reaper.run()
    assert ("seat.cancelled", "teamed") in reaper.audit()
    assert outcome.report.totals.newly_flagged == 0
    (needs,) = outcome.report.entries("needs_person")
    assert needs.due_at == flag.due_at
    (kept,) = reaper.flags().values()  # moved to globex with the person, dates unchanged
    assert (kept.org, kept.flagged_at, kept.due_at) == ("globex", flag.flagged_at, flag.due_at)
    clock.advance(days=1)
    later = reaper.run()
    assert later.report.totals.newly_flagged == 0
    assert later.report.totals.needs_person == 1
    assert warned(reaper, "teamed") == 1
