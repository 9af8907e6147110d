"""The simulated seat list, org details and seat re-read behave like GitHub's."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx

from reaper.simulator import Simulator

from .support import NOW, TOKEN

if TYPE_CHECKING:
    from .support import FakeClock

SEATS = "/orgs/acme/copilot/billing/seats"
CREATED = datetime(2024, 6, 1, 9, 30, tzinfo=UTC)


def links(response: httpx.Response) -> dict[str, str]:
    """Parse a GitHub Link header into {rel: url}."""
    header = response.headers.get("link", "")
    return {rel: url for url, rel in re.findall(r'<([^>]+)>;\s*rel="([^"]+)"', header)}


def add_many(sim: Simulator, count: int) -> None:
    for number in range(count):
        sim.add_seat("acme", f"user{number:03d}", created_at=CREATED)


def test_pagination_serves_three_pages_of_100_for_250_seats(sim: Simulator, gh: httpx.Client):
    """250 seats at per_page=100 come back as 100, 100 and 50 with next/last links."""
    add_many(sim, 250)
    first = gh.get(SEATS, params={"per_page": 100})
    assert first.status_code == 200
    assert len(first.json()["seats"]) == 100
    rels = links(first)
    assert set(rels) == {"next", "last"}
    assert rels["next"] == f"{sim.github_url}{SEATS}?per_page=100&page=2"
    assert rels["last"] == f"{sim.github_url}{SEATS}?per_page=100&page=3"
    third = gh.get(SEATS, params={"per_page": 100, "page": 3})
    assert len(third.json()["seats"]) == 50
    assert set(links(third)) == {"prev", "first"}


def test_following_next_links_collects_every_seat_once(sim: Simulator, gh: httpx.Client):
    """Following rel="next" from page 1 yields all 250 logins, each exactly once."""
    add_many(sim, 250)
    logins: list[str] = []
    url: str | None = f"{SEATS}?per_page=100"
    pages = 0
    while url:
        response = gh.get(url)
        assert response.status_code == 200
        logins += [seat["assignee"]["login"] for seat in response.json()["seats"]]
        url = links(response).get("next")
        pages += 1
    assert pages == 3
    assert len(logins) == 250
    assert len(set(logins)) == 250


def test_single_page_has_no_link_header(sim: Simulator, gh: httpx.Client):
    """When every seat fits on one page there is no Link header."""
    add_many(sim, 3)
    response = gh.get(SEATS)
    assert len(response.json()["seats"]) == 3
    assert "link" not in response.headers


def test_per_page_defaults_to_50_and_is_capped_at_100(sim: Simulator, gh: httpx.Client):
    """per_page defaults to 50 and larger values are clamped to 100."""
    add_many(sim, 120)
    assert len(gh.get(SEATS).json()["seats"]) == 50
    assert len(gh.get(SEATS, params={"per_page": 500}).json()["seats"]) == 100


def test_total_seats_counts_the_whole_org(sim: Simulator, gh: httpx.Client):
    """total_seats is the org's seat count, not the page's."""
    add_many(sim, 7)
    body = gh.get(SEATS, params={"per_page": 2}).json()
    assert body["total_seats"] == 7
    assert len(body["seats"]) == 2


def test_page_past_the_end_is_empty(sim: Simulator, gh: httpx.Client):
    """A page beyond the last one is an empty list with the right total."""
    add_many(sim, 3)
    body = gh.get(SEATS, params={"page": 9}).json()
    assert body == {"total_seats": 3, "seats": []}


def test_seat_json_reflects_what_was_added(sim: Simulator, gh: httpx.Client):
    """A seat carries its assignee, org, team, dates in GitHub's formats, and plan."""
    used = CREATED + timedelta(days=30, hours=2)
    sim.add_seat("acme", "alice", created_at=CREATED, last_activity_at=used, team="data-platform")
    seat = gh.get(SEATS).json()["seats"][0]
    assert seat["assignee"]["login"] == "alice"
    assert seat["organization"]["login"] == "acme"
    assert seat["assigning_team"]["slug"] == "data-platform"
    assert seat["assigning_team"]["name"] == "Data Platform"
    assert seat["created_at"] == "2024-06-01T09:30:00Z"
    assert seat["last_activity_at"] == seat["last_authenticated_at"] == "2024-07-01T11:30:00Z"
    assert seat["last_activity_editor"].startswith("vscode/")
    assert seat["pending_cancellation_date"] is None
    assert seat["plan_type"] == "business"


def test_seat_without_activity_has_null_activity_fields(sim: Simulator):
    """No activity means null last_activity_at, last_authenticated_at and editor."""
    seat = sim.add_seat("acme", "bob", created_at=CREATED)
    assert seat["last_activity_at"] is None
    assert seat["last_authenticated_at"] is None
    assert seat["last_activity_editor"] is None
    assert "assigning_team" not in seat  # direct grant: GitHub's example omits the key


def test_set_activity_updates_the_served_seat(sim: Simulator, gh: httpx.Client):
    """set_activity moves last_activity_at and last_authenticated_at."""
    sim.add_seat("acme", "alice", created_at=CREATED)
    sim.set_activity("acme", "alice", NOW)
    seat = gh.get("/orgs/acme/members/alice/copilot").json()
    assert seat["last_activity_at"] == "2025-03-14T15:09:26Z"
    assert seat["last_authenticated_at"] == "2025-03-14T15:09:26Z"


def test_raw_seat_is_served_verbatim(sim: Simulator, gh: httpx.Client):
    """add_raw_seat records come back exactly as given and count towards total_seats."""
    sim.add_seat("acme", "alice", created_at=CREATED)
    sim.add_raw_seat("acme", {"assignee": None, "weird": [1, 2]})
    body = gh.get(SEATS).json()
    assert body["total_seats"] == 2
    assert body["seats"][1] == {"assignee": None, "weird": [1, 2]}


def test_unknown_org_is_404(gh: httpx.Client):
    """Listing seats of an org that does not exist answers 404 with a basic-error body."""
    response = gh.get("/orgs/nope/copilot/billing/seats")
    assert response.status_code == 404
    assert response.json()["message"] == "Not Found"
    assert "documentation_url" in response.json()


def test_unknown_path_is_404_json(gh: httpx.Client):
    """Paths the simulator does not serve answer 404 in JSON."""
    response = gh.get("/orgs/acme/copilot/metrics")
    assert response.status_code == 404
    assert response.json()["message"] == "Not Found"


def test_bad_token_is_401(sim: Simulator, gh: httpx.Client):
    """A wrong token answers 401 Bad credentials."""
    response = gh.get(SEATS, headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401
    assert response.json()["message"] == "Bad credentials"


def test_missing_token_is_401(sim: Simulator):
    """A request without Authorization answers 401."""
    response = httpx.get(f"{sim.github_url}{SEATS}", headers={"User-Agent": "t"})
    assert response.status_code == 401


def test_token_scheme_is_accepted(gh: httpx.Client):
    """The legacy "token <PAT>" scheme works like Bearer."""
    assert gh.get(SEATS, headers={"Authorization": f"token {TOKEN}"}).status_code == 200


def test_missing_user_agent_is_403(sim: Simulator):
    """GitHub rejects requests that carry no User-Agent header with 403."""
    with httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        del client.headers["User-Agent"]
        response = client.get(f"{sim.github_url}{SEATS}")
    assert response.status_code == 403
    assert "User-Agent" in response.text


def test_unsupported_api_version_is_400(gh: httpx.Client):
    """An unknown X-GitHub-Api-Version answers 400."""
    response = gh.get(SEATS, headers={"X-GitHub-Api-Version": "1999-01-01"})
    assert response.status_code == 400


def test_rate_limit_headers_count_down_and_reset_hourly(gh: httpx.Client, clock: FakeClock):
    """x-ratelimit-* headers decrement per request and start over after the reset time."""
    first, second = gh.get(SEATS), gh.get(SEATS)
    assert first.headers["x-ratelimit-limit"] == "5000"
    assert first.headers["x-ratelimit-remaining"] == "4999"
    assert second.headers["x-ratelimit-remaining"] == "4998"
    assert second.headers["x-ratelimit-used"] == "2"
    assert second.headers["x-ratelimit-resource"] == "core"
    reset = int(second.headers["x-ratelimit-reset"])
    assert reset == int((NOW + timedelta(hours=1)).timestamp())
    assert second.headers["x-github-api-version-selected"] == "2022-11-28"
    assert second.headers["content-type"] == "application/json; charset=utf-8"
    clock.now = datetime.fromtimestamp(reset, UTC)
    assert gh.get(SEATS).headers["x-ratelimit-remaining"] == "4999"


def test_exhausted_rate_limit_is_403_with_zero_remaining(clock: FakeClock):
    """Past the hourly limit GitHub answers 403 with x-ratelimit-remaining 0."""
    with Simulator(token=TOKEN, clock=clock, rate_limit=2) as small:
        small.add_org("acme")
        headers = {"Authorization": f"Bearer {TOKEN}", "User-Agent": "t"}
        with httpx.Client(base_url=small.github_url, headers=headers) as client:
            statuses = [client.get(SEATS).status_code for _ in range(3)]
            last = client.get(SEATS)
    assert statuses == [200, 200, 403]
    assert last.headers["x-ratelimit-remaining"] == "0"


def test_org_details_report_settings_and_breakdown(sim: Simulator, gh: httpx.Client):
    """GET /orgs/{org}/copilot/billing reports the seat breakdown and settings."""
    sim.add_seat("acme", "alice", created_at=CREATED, last_activity_at=NOW)
    sim.add_seat("acme", "bob", created_at=CREATED, pending_cancellation_date="2025-04-01")
    body = gh.get("/orgs/acme/copilot/billing").json()
    assert body["seat_management_setting"] == "assign_selected"
    assert body["plan_type"] == "business"
    assert body["seat_breakdown"]["total"] == 2
    assert body["seat_breakdown"]["pending_cancellation"] == 1
    assert body["seat_breakdown"]["active_this_cycle"] == 1
    assert gh.get("/orgs/nope/copilot/billing").status_code == 404


def test_member_seat_reread_and_404(sim: Simulator, gh: httpx.Client):
    """The per-user seat endpoint returns the seat, or 404 for users without one."""
    sim.add_seat("acme", "alice", created_at=CREATED)
    response = gh.get("/orgs/acme/members/alice/copilot")
    assert response.status_code == 200
    assert response.json() == sim.seat("acme", "alice")
    assert gh.get("/orgs/acme/members/zed/copilot").status_code == 404
    sim.remove_seat("acme", "alice")
    assert gh.get("/orgs/acme/members/alice/copilot").status_code == 404
    assert sim.seat("acme", "alice") is None
