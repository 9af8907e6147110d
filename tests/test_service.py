"""The service lives through bad cycles: a failed one, and a state store that is briefly away."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reaper.metrics import Metrics
from reaper.service.scheduler import run_one_cycle
from tests.harness import DAY, Reaper

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator
    from tests.conftest import FakeClock


def test_service_cycle_survives_an_unreachable_store_and_recovers(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A cycle whose store is down fails without raising, is counted, and the next one works."""
    sim.add_seat("acme", "idle-ian", created_at=clock.now - 400 * DAY, last_activity_at=None)
    reaper = Reaper(sim, clock, tmp_path)
    metrics = Metrics(dry_run=False)
    reaper.overrides = {"state_url": "postgresql://nobody@127.0.0.1:1/none"}
    assert run_one_cycle(reaper.settings(), metrics) is False
    reaper.overrides = {}
    assert run_one_cycle(reaper.settings(), metrics) is True
    rendered = metrics.render().decode()
    assert 'reaper_cycles_total{outcome="error"} 1.0' in rendered
    assert 'reaper_cycles_total{outcome="ok"} 1.0' in rendered
    assert ("acme", "idle-ian") in reaper.flags()
