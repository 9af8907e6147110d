"""Shared fixtures: a network guard, a controllable clock, and small builders."""

from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from reaper.simulator import Simulator

if TYPE_CHECKING:
    from collections.abc import Iterator

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 09:00 UTC


def _is_loopback(address: Any) -> bool:
    if isinstance(address, tuple) and address:
        host = address[0]
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    return True  # unix sockets


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any connection to an address that is not loopback."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded(sock: socket.socket, address: Any) -> Any:
        if not _is_loopback(address):
            raise OSError(f"test tried to reach {address!r}: only loopback is allowed")
        return real_connect(sock, address)

    def guarded_ex(sock: socket.socket, address: Any) -> Any:
        if not _is_loopback(address):
            raise OSError(f"test tried to reach {address!r}: only loopback is allowed")
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_ex)


@dataclass
class FakeClock:
    """A clock the test moves by hand."""

    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    """A clock that starts at T0 and moves only when told."""
    return FakeClock()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> pytest.MonkeyPatch:
    """An environment with no REAPER_* variables and no mounted secrets."""
    for name in list(os.environ):
        if name.startswith("REAPER_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("REAPER_SECRETS_DIR", str(tmp_path / "no-secrets"))
    return monkeypatch


GITHUB_TOKEN = "ghp_TESTtokenNEVERinOUTPUT0123456789"
SLACK_BOT_TOKEN = "xoxb-TEST-slack-bot-NEVER-in-output"


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[Any]:
    """The project's GitHub and Slack simulator on loopback, on the test's clock."""
    with Simulator(token=GITHUB_TOKEN, slack_bot_token=SLACK_BOT_TOKEN, clock=clock) as simulator:
        simulator.add_org("acme")
        yield simulator
