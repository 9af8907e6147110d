"""Simulated latency: each GitHub answer goes out a round trip after its request came in."""

from __future__ import annotations

import itertools
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import TYPE_CHECKING

import httpx

from reaper.simulator import Simulator, core

from .support import TOKEN

if TYPE_CHECKING:
    import pytest

    from reaper.simulator.server import RecordedRequest

    from .support import FakeClock

SEATS = "/orgs/acme/copilot/billing/seats"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "User-Agent": "simulator-tests"}


def test_each_request_waits_the_latency(clock: FakeClock):
    """Three sequential requests at 0.2 s latency take at least 0.6 s, arriving 0.2 s apart."""
    with (
        Simulator(token=TOKEN, clock=clock, latency=0.2) as sim,
        httpx.Client(base_url=sim.github_url, headers=HEADERS, timeout=10) as client,
    ):
        sim.add_org("acme")
        started = time.monotonic()
        statuses = [client.get(SEATS).status_code for _ in range(3)]
        elapsed = time.monotonic() - started
        arrivals = [request.received_at for request in sim.requests]
    assert statuses == [200, 200, 200]
    assert elapsed >= 0.6
    assert all(later - earlier >= 0.2 for earlier, later in itertools.pairwise(arrivals))


def test_latency_can_be_set_while_running(clock: FakeClock):
    """sim.latency set after start applies to the next request; 0 turns it off again."""
    with (
        Simulator(token=TOKEN, clock=clock) as sim,
        httpx.Client(base_url=sim.github_url, headers=HEADERS, timeout=10) as client,
    ):
        sim.add_org("acme")
        sim.latency = 0.3
        started = time.monotonic()
        assert client.get(SEATS).status_code == 200
        assert time.monotonic() - started >= 0.3
        sim.latency = 0.0
        assert client.get(SEATS).status_code == 200


def test_waiting_requests_do_not_block_each_other(clock: FakeClock):
    """Four parallel requests at 1 s latency finish well before the 4 s a held lock would take."""
    with Simulator(token=TOKEN, clock=clock, latency=1.0) as sim:
        sim.add_org("acme")

        def fetch(_: int) -> int:
            with httpx.Client(base_url=sim.github_url, headers=HEADERS, timeout=10) as client:
                return client.get(SEATS).status_code

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=4) as pool:
            statuses = list(pool.map(fetch, range(4)))
        elapsed = time.monotonic() - started
    assert statuses == [200] * 4
    assert 1.0 <= elapsed < 3.5


def test_the_simulators_own_work_is_part_of_the_latency(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
):
    """A request whose handling took 0.2 s of a 0.5 s latency waits only what is left of it."""
    asked: list[float] = []
    monkeypatch.setattr(core, "time", SimpleNamespace(monotonic=time.monotonic, sleep=asked.append))
    with (
        Simulator(token=TOKEN, clock=clock, latency=0.5) as sim,
        httpx.Client(base_url=sim.github_url, headers=HEADERS, timeout=10) as client,
    ):
        sim.add_org("acme")

        def work(_request: RecordedRequest) -> bool:
            time.sleep(0.2)  # the simulator's own work, in real time
            return False

        sim.before_request = work
        assert client.get(SEATS).status_code == 200
    assert len(asked) == 1
    assert 0.0 <= asked[0] <= 0.3  # the round trip counts from arrival, the work within it
