"""Starting, stopping and recording: the simulator is a well-behaved local server."""

from __future__ import annotations

import socket
from datetime import datetime
from typing import TYPE_CHECKING

import httpx
import pytest

from reaper.simulator import RecordedRequest, Simulator

from .support import NOW, TOKEN

if TYPE_CHECKING:
    from .support import FakeClock


def test_urls_point_at_loopback(sim: Simulator):
    """All URLs are on 127.0.0.1 with the documented paths and slashes."""
    assert sim.github_url.startswith("http://127.0.0.1:")
    assert not sim.github_url.endswith("/")
    assert sim.slack_webhook_url == f"{sim.github_url}/slack/webhook/T000/B000/XXXX"
    assert sim.slack_api_url == f"{sim.github_url}/slack/api/"


def test_exit_stops_the_server_even_with_open_keepalive_connections(clock: FakeClock):
    """Leaving the context closes kept-alive connections and frees the port."""
    with Simulator(clock=clock) as sim, httpx.Client() as client:
        client.get(f"{sim.github_url}/", headers={"User-Agent": "t"})  # leaves a connection open
        port = int(sim.github_url.rsplit(":", 1)[1])
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("127.0.0.1", port), timeout=1),
    ):
        pass
    with pytest.raises(RuntimeError, match="not running"):
        _ = sim.github_url


def test_state_can_be_prepared_before_start(clock: FakeClock):
    """Orgs and seats can be added before the server starts."""
    sim = Simulator(token=TOKEN, clock=clock)
    sim.add_org("acme")
    sim.add_seat("acme", "alice")
    with sim:
        headers = {"Authorization": f"Bearer {TOKEN}", "User-Agent": "t"}
        response = httpx.get(f"{sim.github_url}/orgs/acme/copilot/billing/seats", headers=headers)
    assert response.json()["total_seats"] == 1


def test_requests_are_recorded_with_parsed_parts(sim: Simulator, gh: httpx.Client):
    """Each request is recorded with method, path, query, lower-cased headers, body and json."""
    gh.get("/orgs/acme/copilot/billing/seats", params={"per_page": 10, "page": 2})
    gh.request(
        "DELETE", "/orgs/acme/copilot/billing/selected_users", json={"selected_usernames": ["a"]}
    )
    listing, cancel = sim.requests
    assert isinstance(listing, RecordedRequest)
    assert listing.method == "GET"
    assert listing.path == "/orgs/acme/copilot/billing/seats"
    assert listing.query == {"per_page": ["10"], "page": ["2"]}
    assert listing.url == f"{sim.github_url}/orgs/acme/copilot/billing/seats?per_page=10&page=2"
    assert listing.headers["authorization"] == f"Bearer {TOKEN}"
    assert listing.json is None
    assert cancel.json == {"selected_usernames": ["a"]}
    assert cancel.body == b'{"selected_usernames":["a"]}'


def test_setup_errors_are_reported(sim: Simulator):
    """Unknown orgs, duplicate seats and naive datetimes are refused at setup time."""
    with pytest.raises(KeyError, match="add_org"):
        sim.add_seat("nope", "alice")
    sim.add_seat("acme", "alice")
    with pytest.raises(ValueError, match="already has a seat"):
        sim.add_seat("acme", "ALICE")
    with pytest.raises(ValueError, match="naive"):
        sim.add_seat("acme", "bob", created_at=datetime(2024, 1, 1))  # noqa: DTZ001
    with pytest.raises(KeyError):
        sim.set_activity("acme", "nobody", NOW)
