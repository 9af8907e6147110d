"""Fixtures for the simulator's own tests: a settable clock, a running simulator, clients."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

from reaper.simulator import Simulator

from .support import BOT_TOKEN, TOKEN, FakeClock

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[Simulator]:
    with Simulator(token=TOKEN, slack_bot_token=BOT_TOKEN, clock=clock) as running:
        running.add_org("acme")
        yield running


@pytest.fixture
def gh(sim: Simulator) -> Iterator[httpx.Client]:
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
        "User-Agent": "simulator-tests",
    }
    with httpx.Client(base_url=sim.github_url, headers=headers, timeout=5) as client:
        yield client
