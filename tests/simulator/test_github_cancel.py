"""Cancelling and adding seats through selected_users behaves like GitHub."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import httpx

    from reaper.simulator import Simulator

    from .support import FakeClock

USERS = "/orgs/acme/copilot/billing/selected_users"
CREATED = datetime(2024, 6, 1, tzinfo=UTC)


def cancel(gh: httpx.Client, *names: str) -> httpx.Response:
    return gh.request("DELETE", USERS, json={"selected_usernames": list(names)})


def test_cancel_sets_pending_date_to_first_of_next_month(sim: Simulator, gh: httpx.Client):
    """Cancelling sets pending_cancellation_date to the 1st of the clock's next month."""
    sim.add_seat("acme", "alice", created_at=CREATED)
    response = cancel(gh, "alice")
    assert response.status_code == 200
    assert response.json() == {"seats_cancelled": 1}
    assert sim.seat("acme", "alice")["pending_cancellation_date"] == "2025-04-01"  # type: ignore[index]


def test_cancel_in_december_rolls_into_january(sim: Simulator, gh: httpx.Client, clock: FakeClock):
    """A December cancellation ends on 1 January of the next year."""
    clock.now = datetime(2025, 12, 31, 23, 59, tzinfo=UTC)
    sim.add_seat("acme", "alice", created_at=CREATED)
    cancel(gh, "alice")
    assert sim.seat("acme", "alice")["pending_cancellation_date"] == "2026-01-01"  # type: ignore[index]


def test_cancel_counts_only_newly_pending_seats(sim: Simulator, gh: httpx.Client):
    """Already-pending seats and users without seats do not count as cancelled."""
    sim.add_seat("acme", "alice", created_at=CREATED)
    sim.add_seat("acme", "bob", created_at=CREATED, pending_cancellation_date="2025-03-01")
    response = cancel(gh, "alice", "bob", "ghost")
    assert response.json() == {"seats_cancelled": 1}
    assert sim.seat("acme", "bob")["pending_cancellation_date"] == "2025-03-01"  # type: ignore[index]


def test_cancel_team_assigned_seat_is_422_and_changes_nothing(sim: Simulator, gh: httpx.Client):
    """A team-assigned seat in the batch makes the whole call 422 with no seat changed."""
    sim.add_seat("acme", "alice", created_at=CREATED)
    sim.add_seat("acme", "tina", created_at=CREATED, team="platform")
    response = cancel(gh, "alice", "tina")
    assert response.status_code == 422
    assert "assigned through a team" in response.json()["message"]
    assert sim.seat("acme", "alice")["pending_cancellation_date"] is None  # type: ignore[index]
    assert sim.seat("acme", "tina")["pending_cancellation_date"] is None  # type: ignore[index]


@pytest.mark.parametrize("setting", ["assign_all", "disabled", "unconfigured"])
def test_cancel_needs_assign_selected(sim: Simulator, gh: httpx.Client, setting: str):
    """Orgs not set to assign_selected refuse per-user cancellation with 422."""
    sim.add_org("other", seat_management_setting=setting)
    sim.add_seat("other", "alice", created_at=CREATED)
    response = gh.request(
        "DELETE",
        "/orgs/other/copilot/billing/selected_users",
        json={"selected_usernames": ["alice"]},
    )
    assert response.status_code == 422
    assert sim.seat("other", "alice")["pending_cancellation_date"] is None  # type: ignore[index]


@pytest.mark.parametrize("body", [{}, {"selected_usernames": []}, {"selected_usernames": "bob"}])
def test_cancel_rejects_invalid_bodies(gh: httpx.Client, body: object):
    """Bodies that break the schema (missing key, empty list, not a list) answer 422."""
    assert gh.request("DELETE", USERS, json=body).status_code == 422


def test_cancel_rejects_unparsable_json(gh: httpx.Client):
    """A body that is not JSON answers 400."""
    response = gh.request(
        "DELETE", USERS, content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400


def test_cancel_in_unknown_org_is_404(gh: httpx.Client):
    """Cancelling in an org that does not exist answers 404."""
    response = gh.request(
        "DELETE", "/orgs/nope/copilot/billing/selected_users", json={"selected_usernames": ["a"]}
    )
    assert response.status_code == 404


def test_add_creates_seats_dated_now(sim: Simulator, gh: httpx.Client):
    """POST selected_users creates seats created now with no activity, answering 201."""
    sim.add_seat("acme", "alice", created_at=CREATED)
    response = gh.post(USERS, json={"selected_usernames": ["alice", "carol", "dave"]})
    assert response.status_code == 201
    assert response.json() == {"seats_created": 2}
    carol = sim.seat("acme", "carol")
    assert carol is not None
    assert carol["created_at"] == "2025-03-14T15:09:26Z"
    assert carol["last_activity_at"] is None
    assert gh.get("/orgs/acme/copilot/billing/seats").json()["total_seats"] == 3


def test_add_restores_a_pending_seat(sim: Simulator, gh: httpx.Client):
    """Adding a user whose seat is pending cancellation clears the pending date."""
    sim.add_seat("acme", "alice", created_at=CREATED)
    cancel(gh, "alice")
    response = gh.post(USERS, json={"selected_usernames": ["alice"]})
    assert response.json() == {"seats_created": 1}
    assert sim.seat("acme", "alice")["pending_cancellation_date"] is None  # type: ignore[index]
