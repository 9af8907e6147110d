"""Releasing one person's seats at their request, through the cycle's cancel path."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reaper.app import github_client
from reaper.core.domain import enterprise_scope
from reaper.cycle.release import release_person
from reaper.store import SqlStore
from tests.harness import DAY, Reaper

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator
    from tests.conftest import FakeClock


def release(reaper: Reaper, login: str, **kw: object) -> tuple[bool, str]:
    settings = reaper.settings()
    store = SqlStore(settings.state_url)
    try:
        with github_client(settings, clock=reaper.clock, sleep=reaper.waits.append) as github:
            out = release_person(
                github,
                store,
                settings.policy,
                orgs=list(settings.github_orgs),
                enterprise=settings.github_enterprise,
                login=login,
                by="slack:U0TESS",
                clock=reaper.clock,
                sleep=reaper.waits.append,
                **kw,  # type: ignore[arg-type]
            )
    finally:
        store.close()
    return out.done, out.message


def test_release_cancels_every_grant_and_drops_the_flag(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A warned person released now loses every grant, before the due date, audited."""
    sim.add_enterprise("corp")
    sim.add_org("acme-web", enterprise="corp")
    for scope in ("acme-web", enterprise_scope("corp")):
        sim.add_seat(
            scope, "tess", created_at=clock.now - 300 * DAY, last_activity_at=clock.now - 50 * DAY
        )
    reaper = Reaper(
        sim, clock, tmp_path, overrides={"github_orgs": [], "github_enterprise": "corp"}
    )
    assert reaper.run().ok
    assert reaper.flags()
    done, message = release(reaper, "tess")
    assert done, message
    assert sim.seat("acme-web", "tess")["pending_cancellation_date"]
    assert sim.seat(enterprise_scope("corp"), "tess")["pending_cancellation_date"]
    assert reaper.flags() == {}
    assert ("seat.cancelled", "tess") in reaper.audit()
    assert ("cancel.requested", "tess") in reaper.audit()


def test_release_of_a_team_grant_is_refused(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A seat that comes only through a team cannot be released per user: nothing is sent."""
    sim.add_seat("acme", "tom", created_at=clock.now - 300 * DAY, team="platform")
    reaper = Reaper(sim, clock, tmp_path)
    done, message = release(reaper, "tom")
    assert not done
    assert "team platform" in message
    assert reaper.cancel_requests() == []


def test_release_honours_a_zero_cancellation_limit(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """With REAPER_MAX_CANCELLATIONS=0 a release cancels nothing and says why."""
    sim.add_seat("acme", "ida", created_at=clock.now - 300 * DAY)
    reaper = Reaper(sim, clock, tmp_path)
    done, message = release(reaper, "ida", max_cancellations=0)
    assert not done
    assert "REAPER_MAX_CANCELLATIONS" in message
    assert reaper.cancel_requests() == []
