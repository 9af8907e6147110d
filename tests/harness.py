"""A real cycle (real client, SQLite file, Slack delivery) against the simulator."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from reaper.app import open_cycle
from reaper.config.settings import Settings
from reaper.store import SqlStore
from tests.conftest import GITHUB_TOKEN

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.cycle.orchestrator import CycleOutcome
    from reaper.simulator import Simulator
    from tests.conftest import FakeClock

DAY = timedelta(days=1)


@dataclass
class Reaper:
    """Runs cycles against the simulator with settings a test can change between cycles."""

    sim: Simulator
    clock: FakeClock
    tmp: Path
    overrides: dict[str, Any] = field(default_factory=dict)
    waits: list[float] = field(default_factory=list)
    sleep_moves_clock: bool = False

    @property
    def state_url(self) -> str:
        return str(self.overrides.get("state_url", f"sqlite:///{self.tmp / 'state.db'}"))

    def settings(self) -> Settings:
        values: dict[str, Any] = {
            "github_token": GITHUB_TOKEN,
            "github_api_url": self.sim.github_url,
            "github_orgs": ["acme"],
            "inactive_days": 30,
            "grace_days": 7,
            "dry_run": False,
            "slack_webhook_url": self.sim.slack_webhook_url,
            "state_url": f"sqlite:///{self.tmp / 'state.db'}",
            "max_cancellation_percent": 100,  # small test orgs; the limits have their own tests
        }
        values.update(self.overrides)
        return Settings(**values)

    def run(self) -> CycleOutcome:
        with open_cycle(self.settings(), clock=self.clock, sleep=self._sleep) as cycle:
            return cycle.run()

    def _sleep(self, seconds: float) -> None:
        """Record a wait instead of sleeping; optionally let simulated time pass."""
        self.waits.append(seconds)
        if self.sleep_moves_clock:
            self.clock.advance(seconds=seconds)

    def flags(self) -> dict[str, Any]:
        store = SqlStore(self.state_url)
        try:
            return {(f.org, f.login): f for f in store.all_flags()}
        finally:
            store.close()

    def audit(self) -> list[tuple[str, str | None]]:
        store = SqlStore(self.state_url)
        try:
            return [(e.event, e.login) for e in store.audit_log()]
        finally:
            store.close()

    def cancel_requests(self) -> list[list[str]]:
        return [
            r.json["selected_usernames"]
            for r in self.sim.requests
            if r.method == "DELETE" and r.json is not None
        ]


def idle_seat(sim: Simulator, clock: FakeClock, login: str, days: int = 45, **kw: Any) -> None:
    """An idle seat in org acme (the harness's reaper flags after 30 days)."""
    sim.add_seat(
        "acme",
        login,
        created_at=clock.now - 400 * DAY,
        last_activity_at=clock.now - days * DAY,
        **kw,
    )


def active_seat(sim: Simulator, clock: FakeClock, login: str) -> None:
    """A seat in org acme used yesterday."""
    sim.add_seat("acme", login, created_at=clock.now - 400 * DAY, last_activity_at=clock.now - DAY)
