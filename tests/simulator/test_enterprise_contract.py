"""Contract: the enterprise endpoints' answers, and our client's requests, fit GitHub's OpenAPI.

Same spec as test_openapi_contract.py (tests/data/github-copilot-openapi.json, the seat subset
of npm @octokit/openapi 23.0.2 generated/ghec.json), enterprise operations this time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx
import pytest
from openapi_core.validation.response.exceptions import ResponseValidationError

from reaper.core.domain import enterprise_scope
from reaper.errors import GitHubUnprocessableError
from reaper.github import GitHubClient
from reaper.simulator import Simulator

from .openapi_check import assert_request_conforms, github_openapi, validate_exchange
from .support import NOW, TOKEN

if TYPE_CHECKING:
    from .support import FakeClock

ENT = enterprise_scope("octo")
SEATS = "/enterprises/octo/copilot/billing/seats"
USERS = "/enterprises/octo/copilot/billing/selected_users"
CREATED = datetime(2024, 6, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def seeded(sim: Simulator) -> Simulator:
    """An enterprise with every kind of grant: org seats, org team, direct, enterprise team."""
    sim.add_enterprise("octo")
    sim.add_org("octo-a", enterprise="octo")
    sim.add_seat("octo-a", "both", created_at=CREATED, last_activity_at=NOW)
    sim.add_seat("octo-a", "orgteam", created_at=CREATED, team="platform")
    sim.add_org("octo-b", enterprise="octo", plan_type="enterprise")
    sim.add_seat("octo-b", "both", created_at=CREATED, pending_cancellation_date="2025-04-01")
    sim.add_seat(ENT, "direct", created_at=CREATED, last_activity_at=NOW)
    sim.add_seat(ENT, "entteam", created_at=CREATED, team="ent-devs")
    sim.add_seat(ENT, "both", created_at=CREATED, plan_type="business")
    sim.add_seat(ENT, "both", created_at=CREATED, team="ent-devs")
    return sim


def check(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    validate_exchange(github_openapi(), response.request, response)


def test_enterprise_list_conforms(seeded: Simulator, gh: httpx.Client):
    """Every page of the enterprise list (org, org-team, direct, enterprise-team records) fits."""
    url: str | None = f"{SEATS}?per_page=2"
    pages = 0
    while url:
        response = gh.get(url)
        check(response, 200)
        url = response.links.get("next", {}).get("url")
        pages += 1
    assert pages == 4


def test_enterprise_member_conforms(seeded: Simulator, gh: httpx.Client):
    """One user's enterprise seat, with several grants or one, fits the schema."""
    for login in ("both", "direct", "entteam", "orgteam"):
        check(gh.get(f"/enterprises/octo/members/{login}/copilot"), 200)


def test_enterprise_cancel_and_add_conform(seeded: Simulator, gh: httpx.Client):
    """The 200 cancel and 201 add answers fit, and so do the grants they leave."""
    check(gh.request("DELETE", USERS, json={"selected_usernames": ["direct"]}), 200)
    check(gh.post(USERS, json={"selected_usernames": ["direct", "newbie"]}), 201)
    check(gh.get("/enterprises/octo/members/newbie/copilot"), 200)


def test_enterprise_errors_conform(seeded: Simulator, gh: httpx.Client):
    """404 for an unknown enterprise or user and 401 carry basic-error bodies as documented."""
    check(gh.get("/enterprises/nope/copilot/billing/seats"), 404)
    check(gh.get("/enterprises/octo/members/ghost/copilot"), 404)
    check(gh.get(SEATS, headers={"Authorization": "Bearer bad"}), 401)


def test_token_refusal_conforms(clock: FakeClock):
    """The 403 a fine-grained token gets on an enterprise endpoint is a documented basic-error."""
    token = "github_pat_fine_grained_for_tests"
    with Simulator(token=token, clock=clock) as sim:
        sim.add_enterprise("octo")
        headers = {"Authorization": f"Bearer {token}", "User-Agent": "simulator-tests"}
        with httpx.Client(base_url=sim.github_url, headers=headers, timeout=5) as client:
            check(client.get(SEATS), 403)


def test_contract_check_catches_a_bad_enterprise_record(seeded: Simulator, gh: httpx.Client):
    """A malformed enterprise-level record fails validation: the check has teeth here too."""
    seeded.add_raw_seat(ENT, {"created_at": "2024-06-01T09:30:00Z", "organization": "octo"})
    with pytest.raises(ResponseValidationError):
        check(gh.get(SEATS, params={"per_page": 100}), 200)


def test_client_requests_conform(seeded: Simulator):
    """Every request GitHubClient sends for an enterprise or an org scope fits the spec."""
    with GitHubClient(base_url=seeded.github_url, token=TOKEN, sleep=lambda _: None) as client:
        for scope in (ENT, "octo-a"):
            list(client.iter_seat_pages(scope))
            list(client.iter_seat_pages(scope, per_page=1))
            client.get_grants(scope, "both")
            client.get_seat(scope, "direct")
            client.cancel_seats(scope, ["direct"])
            client.add_seats(scope, ["direct"])
        with pytest.raises(GitHubUnprocessableError):
            client.cancel_seats(ENT, ["entteam"])
    recorded = [r for r in seeded.requests if not r.path.startswith("/slack/")]
    assert {r.path.split("/")[1] for r in recorded} == {"enterprises", "orgs"}
    assert len(recorded) >= 15
    for request in recorded:
        assert_request_conforms(request)
