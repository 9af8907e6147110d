"""Injected faults: error statuses, rate limits and dropped connections, then recovery."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from reaper.simulator import Fault

from .support import BOT_TOKEN

if TYPE_CHECKING:
    from reaper.simulator import Simulator

SEATS = "/orgs/acme/copilot/billing/seats"


def test_503_once_then_ok(sim: Simulator, gh: httpx.Client):
    """A times=1 fault answers once, then the real endpoint answers again."""
    sim.inject(Fault(method="GET", path=r"^/orgs/acme/copilot/billing/seats$", status=503))
    assert gh.get(SEATS).status_code == 503
    assert gh.get(SEATS).status_code == 200
    assert sim.pending_faults == []


def test_fault_times_counts_matching_requests_only(sim: Simulator, gh: httpx.Client):
    """A fault is used up only by requests it matches (method and path regex)."""
    sim.inject(Fault(method="DELETE", path="selected_users$", status=500, times=2))
    assert gh.get(SEATS).status_code == 200
    body = {"selected_usernames": ["x"]}
    users = "/orgs/acme/copilot/billing/selected_users"
    statuses = [gh.request("DELETE", users, json=body).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]


def test_429_with_retry_after_and_body(sim: Simulator, gh: httpx.Client):
    """A fault serves its status, headers and JSON body as given."""
    sim.inject(
        Fault(
            path="seats",
            status=429,
            headers={"Retry-After": "7", "x-ratelimit-remaining": "0"},
            body={"message": "You have exceeded a secondary rate limit."},
        )
    )
    response = gh.get(SEATS)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json()["message"].startswith("You have exceeded")


def test_disconnect_closes_without_response(sim: Simulator, gh: httpx.Client):
    """disconnect=True drops the connection; the client sees no response at all."""
    sim.inject(Fault(path="seats", disconnect=True))
    with pytest.raises(httpx.RemoteProtocolError):
        gh.get(SEATS)
    assert gh.get(SEATS).status_code == 200
    assert [r.path for r in sim.requests] == [SEATS, SEATS]


def test_faults_match_in_insertion_order(sim: Simulator, gh: httpx.Client):
    """When two faults match, the one injected first answers first."""
    sim.inject(Fault(path="seats", status=502))
    sim.inject(Fault(path="billing", status=504))
    assert gh.get(SEATS).status_code == 502
    assert gh.get(SEATS).status_code == 504
    assert gh.get(SEATS).status_code == 200


def test_slack_rate_limit_fault(sim: Simulator):
    """Faults apply to Slack paths: a 429 ratelimited reaches slack_sdk as SlackApiError."""
    sim.inject(
        Fault(
            path="chat.postMessage",
            status=429,
            headers={"Retry-After": "1"},
            body={"ok": False, "error": "ratelimited"},
        )
    )
    client = WebClient(token=BOT_TOKEN, base_url=sim.slack_api_url)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C123", text="hi")
    assert raised.value.response.status_code == 429
    assert raised.value.response["error"] == "ratelimited"
    assert raised.value.response.headers["Retry-After"] == "1"
    assert client.chat_postMessage(channel="C123", text="hi")["ok"] is True
    assert len(sim.slack_messages) == 1


def test_fault_rejects_bad_arguments():
    """A fault with times < 1 or an invalid regex is refused at construction."""
    with pytest.raises(ValueError, match="times"):
        Fault(path="x", times=0)
    with pytest.raises(ValueError, match="unterminated"):
        Fault(path="(")
