"""Contract: simulator responses (and requests to it) fit GitHub's published OpenAPI schema.

The schema is tests/data/github-copilot-openapi.json, the seat-endpoint subset of npm
@octokit/openapi 23.0.2 generated/ghec.json with descriptions removed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from openapi_core.validation.request.exceptions import RequestValidationError
from openapi_core.validation.response.exceptions import ResponseValidationError

from .openapi_check import assert_request_conforms, github_openapi, validate_exchange
from .support import NOW

if TYPE_CHECKING:
    import httpx

    from reaper.simulator import Simulator

CREATED = datetime(2024, 6, 1, 9, 30, tzinfo=UTC)
USERS = "/orgs/acme/copilot/billing/selected_users"


@pytest.fixture
def seeded(sim: Simulator) -> Simulator:
    """An org holding every kind of seat the simulator can build."""
    sim.add_seat("acme", "idle", created_at=CREATED)
    sim.add_seat("acme", "busy", created_at=CREATED, last_activity_at=NOW, plan_type="enterprise")
    sim.add_seat("acme", "teamed", created_at=CREATED, last_activity_at=NOW, team="platform")
    sim.add_seat("acme", "leaving", created_at=CREATED, pending_cancellation_date="2025-04-01")
    return sim


def check(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    validate_exchange(github_openapi(), response.request, response)


def test_list_seats_conforms(seeded: Simulator, gh: httpx.Client):
    """Every page of the seat list, Link header included, matches the published schema."""
    first = gh.get("/orgs/acme/copilot/billing/seats", params={"per_page": 2})
    check(first, 200)
    check(gh.get(first.links["next"]["url"]), 200)


def test_org_details_conform(seeded: Simulator, gh: httpx.Client):
    """GET /orgs/{org}/copilot/billing matches copilot-organization-details."""
    check(gh.get("/orgs/acme/copilot/billing"), 200)


def test_member_seat_conforms(seeded: Simulator, gh: httpx.Client):
    """Re-reading a seat (active, team-assigned, pending) matches copilot-seat-details."""
    for login in ("idle", "busy", "teamed", "leaving"):
        check(gh.get(f"/orgs/acme/members/{login}/copilot"), 200)


def test_cancel_conforms(seeded: Simulator, gh: httpx.Client):
    """The 200 answer to a cancellation matches the schema, and so does the request."""
    check(gh.request("DELETE", USERS, json={"selected_usernames": ["idle", "busy"]}), 200)
    check(gh.get("/orgs/acme/members/idle/copilot"), 200)  # now pending


def test_add_conforms(seeded: Simulator, gh: httpx.Client):
    """The 201 answer to adding seats matches the schema, and so do the new seats."""
    check(gh.post(USERS, json={"selected_usernames": ["newbie"]}), 201)
    check(gh.get("/orgs/acme/members/newbie/copilot"), 200)


def test_error_bodies_conform(seeded: Simulator, gh: httpx.Client):
    """404 and 401 answers carry a basic-error body as documented."""
    check(gh.get("/orgs/acme/members/ghost/copilot"), 404)
    check(gh.get("/orgs/acme/copilot/billing", headers={"Authorization": "Bearer bad"}), 401)


def test_recorded_requests_conform(seeded: Simulator, gh: httpx.Client):
    """assert_request_conforms accepts every well-formed request the simulator recorded."""
    gh.get("/orgs/acme/copilot/billing/seats", params={"per_page": 100, "page": 1})
    gh.get("/orgs/acme/copilot/billing")
    gh.request("DELETE", USERS, json={"selected_usernames": ["idle"]})
    assert len(seeded.requests) == 3
    for recorded in seeded.requests:
        assert_request_conforms(recorded)


def test_contract_check_catches_a_bad_request(sim: Simulator, gh: httpx.Client):
    """A request breaking the schema (empty selected_usernames) is rejected by the helper."""
    gh.request("DELETE", USERS, json={"selected_usernames": []})
    gh.get("/orgs/acme/copilot/billing/seats", params={"per_page": "lots"})
    bad_body, bad_query = sim.requests
    with pytest.raises(RequestValidationError):
        assert_request_conforms(bad_body)
    with pytest.raises(RequestValidationError):
        assert_request_conforms(bad_query)


def test_contract_check_catches_a_bad_seat(sim: Simulator, gh: httpx.Client):
    """A seat with an unknown field or a bad date fails validation: the check has teeth."""
    sim.add_raw_seat("acme", {"created_at": "2024-06-01T09:30:00Z", "surprise": True})
    with pytest.raises(ResponseValidationError):
        check(gh.get("/orgs/acme/copilot/billing/seats"), 200)
    sim.add_org("other")
    sim.add_raw_seat("other", {"created_at": "last tuesday"})
    with pytest.raises(ResponseValidationError):
        check(gh.get("/orgs/other/copilot/billing/seats"), 200)
