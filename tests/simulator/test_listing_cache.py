"""The cached enterprise list and the per-login index follow every change to the seat state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from reaper.core.domain import enterprise_scope

if TYPE_CHECKING:
    import httpx

    from reaper.simulator import Simulator

ENT = enterprise_scope("octo")
SEATS = "/enterprises/octo/copilot/billing/seats?per_page=100"
CREATED = datetime(2024, 6, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def octo(sim: Simulator) -> Simulator:
    """Enterprise octo with org octo-a (ann, bob) and a direct enterprise grant (ann)."""
    sim.add_enterprise("octo")
    sim.add_org("octo-a", enterprise="octo")
    sim.add_seat("octo-a", "ann", created_at=CREATED)
    sim.add_seat("octo-a", "bob", created_at=CREATED)
    sim.add_seat(ENT, "ann", created_at=CREATED)
    return sim


def listed(gh: httpx.Client) -> tuple[int, list[tuple[str, Any]]]:
    body = gh.get(SEATS).json()
    return body["total_seats"], [
        (r["assignee"]["login"], r["organization"] and r["organization"]["login"])
        for r in body["seats"]
    ]


def test_enterprise_list_follows_adds_and_removals(octo: Simulator, gh: httpx.Client):
    """Each add or removal between two reads shows in the next read, count and order."""
    assert listed(gh) == (2, [("ann", "octo-a"), ("bob", "octo-a"), ("ann", None)])
    octo.remove_seat("octo-a", "bob")
    octo.add_seat("octo-a", "cat", created_at=CREATED)  # same length as before, new content
    assert listed(gh) == (2, [("ann", "octo-a"), ("cat", "octo-a"), ("ann", None)])
    octo.add_seat(ENT, "dan", created_at=CREATED)
    assert listed(gh) == (3, [("ann", "octo-a"), ("cat", "octo-a"), ("ann", None), ("dan", None)])
    octo.remove_seat(ENT, "ann")
    assert listed(gh) == (3, [("ann", "octo-a"), ("cat", "octo-a"), ("dan", None)])


def test_enterprise_list_follows_raw_records_and_new_member_orgs(octo: Simulator, gh: httpx.Client):
    """A raw record (even one without a login) and a newly joined org show at once."""
    listed(gh)
    octo.add_raw_seat(ENT, {"assignee": None, "created_at": "2024-06-01T09:30:00Z"})
    assert gh.get(SEATS).json()["total_seats"] == 3  # a record without a login counts once
    octo.add_org("octo-b", enterprise="octo")
    octo.add_seat("octo-b", "eve", created_at=CREATED)
    body = gh.get(SEATS).json()
    assert body["total_seats"] == 4
    assert [(r.get("organization") or {}).get("login") for r in body["seats"]] == [
        "octo-a",
        "octo-a",
        "octo-b",
        None,
        None,
    ]


def test_changes_inside_records_show_through_the_cache(
    octo: Simulator, gh: httpx.Client, sim: Simulator
):
    """Activity, a cancellation and a re-add made between reads are what the next read shows."""
    gh.get(SEATS)
    sim.set_activity("octo-a", "bob", CREATED + timedelta(days=3))
    gone = gh.request(
        "DELETE",
        "/enterprises/octo/copilot/billing/selected_users",
        json={"selected_usernames": ["ann"]},
    )
    assert gone.json() == {"seats_cancelled": 1}
    added = gh.post(
        "/enterprises/octo/copilot/billing/selected_users", json={"selected_usernames": ["fay"]}
    )
    assert added.json() == {"seats_created": 1}
    seats = gh.get(SEATS).json()["seats"]
    assert seats[1]["last_activity_at"] == "2024-06-04T09:30:00Z"
    assert seats[2]["pending_cancellation_date"] is not None
    assert [r["assignee"]["login"] for r in seats] == ["ann", "bob", "ann", "fay"]


def test_lookups_follow_raw_records_and_removals(octo: Simulator):
    """The login index finds raw records (any case), forgets removed ones, refuses duplicates."""
    octo.add_raw_seat("octo-a", {**octo.seat("octo-a", "bob"), "assignee": {"login": "Zed"}})
    assert octo.seat("octo-a", "zed") is not None
    with pytest.raises(ValueError, match="already has a seat"):
        octo.add_seat("octo-a", "ZED", created_at=CREATED)
    octo.remove_seat("octo-a", "bob")
    assert octo.seat("octo-a", "bob") is None
    octo.add_seat("octo-a", "bob", created_at=CREATED)
    assert [g["assignee"]["login"] for g in octo.grants(ENT, "ANN")] == ["ann"]
    assert octo.seat("octo-a", "bob") is not None
