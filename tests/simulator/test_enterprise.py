"""The simulated enterprise endpoints: one record per grant, persons counted once, cancel, add."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from reaper.core.domain import enterprise_scope
from reaper.simulator import Fault, Simulator

from .support import NOW

if TYPE_CHECKING:
    from .support import FakeClock

ENT = enterprise_scope("octo")
SEATS = "/enterprises/octo/copilot/billing/seats"
USERS = "/enterprises/octo/copilot/billing/selected_users"
CREATED = datetime(2024, 6, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def octo(sim: Simulator) -> Simulator:
    """Enterprise octo: orgs octo-a and octo-b, direct and enterprise-team grants; acme outside.

    Records (8): octo-a both, mixed; octo-b both, solo; enterprise direct, teamed (ent-devs),
    mixed (direct), mixed (ent-devs). Persons: both, mixed, solo, direct, teamed (5).
    """
    sim.add_enterprise("octo")
    sim.add_org("octo-a", enterprise="octo")
    sim.add_org("octo-b", enterprise="octo")
    for org, login in [("octo-a", "both"), ("octo-a", "mixed"), ("octo-b", "both")]:
        sim.add_seat(org, login, created_at=CREATED)
    sim.add_seat("octo-b", "solo", created_at=CREATED)
    sim.add_seat(ENT, "direct", created_at=CREATED)
    sim.add_seat(ENT, "teamed", created_at=CREATED, team="ent-devs")
    sim.add_seat(ENT, "mixed", created_at=CREATED)
    sim.add_seat(ENT, "mixed", created_at=CREATED, team="ent-devs")
    sim.add_seat("acme", "outsider", created_at=CREATED)
    return sim


def logins(records: list[dict[str, Any]]) -> list[str]:
    return [record["assignee"]["login"] for record in records]


def cancel(gh: httpx.Client, *names: str) -> httpx.Response:
    return gh.request("DELETE", USERS, json={"selected_usernames": list(names)})


def test_list_pages_records_while_total_counts_persons(octo: Simulator, gh: httpx.Client):
    """8 records of 5 persons at per_page=3: pages of 3, 3 and 2, total_seats 5 on each."""
    collected: list[dict[str, Any]] = []
    url: str | None = f"{SEATS}?per_page=3"
    sizes, totals = [], set()
    while url:
        response = gh.get(url)
        assert response.status_code == 200
        body = response.json()
        sizes.append(len(body["seats"]))
        totals.add(body["total_seats"])
        collected += body["seats"]
        url = response.links.get("next", {}).get("url")
    assert sizes == [3, 3, 2]
    assert totals == {5}
    assert Counter(logins(collected)) == {
        "both": 2,
        "mixed": 3,
        "solo": 1,
        "direct": 1,
        "teamed": 1,
    }
    last = gh.get(SEATS, params={"per_page": 3, "page": 3})
    assert set(last.links) == {"prev", "first"}


def test_org_records_come_first_then_enterprise_level(octo: Simulator, gh: httpx.Client):
    """The list shows each member org's records in order, then the enterprise-level grants."""
    records = gh.get(SEATS, params={"per_page": 100}).json()["seats"]
    grantors = [(r["organization"] or {}).get("login") for r in records]
    assert grantors == ["octo-a", "octo-a", "octo-b", "octo-b", None, None, None, None]
    assert "link" not in gh.get(SEATS, params={"per_page": 100}).headers


def test_enterprise_level_records_have_no_organization(octo: Simulator, gh: httpx.Client):
    """Direct and enterprise-team grants: organization null, plan enterprise, team shaped so."""
    records = gh.get(SEATS, params={"per_page": 100}).json()["seats"]
    direct = next(r for r in records if r["assignee"]["login"] == "direct")
    teamed = next(r for r in records if r["assignee"]["login"] == "teamed")
    org_seat = next(r for r in records if r["assignee"]["login"] == "solo")
    assert direct["organization"] is None
    assert direct["plan_type"] == "enterprise"
    assert "assigning_team" not in direct
    assert teamed["organization"] is None
    team = teamed["assigning_team"]
    assert team["slug"] == "ent-devs"
    assert team["html_url"] == "https://github.com/enterprises/octo/teams/ent-devs"
    assert "group_id" in team
    assert "node_id" not in team  # an enterprise-team object, not an org team
    assert org_seat["organization"]["login"] == "octo-b"
    assert org_seat["plan_type"] == "business"


def test_total_seats_counts_logins_case_insensitively(octo: Simulator, gh: httpx.Client):
    """A direct grant of BOTH, who holds org seats as both, adds a record but no person."""
    octo.add_seat(ENT, "BOTH", created_at=CREATED)
    body = gh.get(SEATS, params={"per_page": 100}).json()
    assert len(body["seats"]) == 9
    assert body["total_seats"] == 5


def test_org_outside_the_enterprise_is_not_listed(octo: Simulator, gh: httpx.Client):
    """Seats of an org that is not one of the enterprise's never appear in its list."""
    records = gh.get(SEATS, params={"per_page": 100}).json()["seats"]
    assert "outsider" not in logins(records)
    assert gh.get("/enterprises/octo/members/outsider/copilot").status_code == 404


def test_unknown_enterprise_is_404(octo: Simulator, gh: httpx.Client):
    """List, member and selected_users of an enterprise never added answer 404."""
    assert gh.get("/enterprises/nope/copilot/billing/seats").status_code == 404
    assert gh.get("/enterprises/nope/members/both/copilot").status_code == 404
    body = {"selected_usernames": ["both"]}
    path = "/enterprises/nope/copilot/billing/selected_users"
    assert gh.request("DELETE", path, json=body).status_code == 404
    assert gh.post(path, json=body).status_code == 404


def test_member_endpoint_lists_every_grant_of_the_user(octo: Simulator, gh: httpx.Client):
    """One user's enterprise seat: all their records (org, direct, team), total_seats 1."""
    response = gh.get("/enterprises/octo/members/MIXED/copilot")
    assert response.status_code == 200
    body = response.json()
    assert body["total_seats"] == 1
    grantors = [
        ((r["organization"] or {}).get("login"), (r.get("assigning_team") or {}).get("slug"))
        for r in body["seats"]
    ]
    assert grantors == [("octo-a", None), (None, None), (None, "ent-devs")]
    assert gh.get("/enterprises/octo/members/ghost/copilot").status_code == 404


def test_cancel_pends_direct_grants_only(octo: Simulator, gh: httpx.Client):
    """DELETE cancels direct enterprise grants; org and team grants stay; others are ignored."""
    response = cancel(gh, "direct", "mixed", "solo", "ghost", "Direct")
    assert response.status_code == 200
    assert response.json() == {"seats_cancelled": 2}
    assert octo.seat(ENT, "direct")["pending_cancellation_date"] == "2025-04-01"  # type: ignore[index]
    assert octo.seat(ENT, "mixed")["pending_cancellation_date"] == "2025-04-01"  # type: ignore[index]
    assert octo.seat(ENT, "mixed", team="ent-devs")["pending_cancellation_date"] is None  # type: ignore[index]
    assert octo.seat("octo-a", "mixed")["pending_cancellation_date"] is None  # type: ignore[index]
    assert octo.seat("octo-b", "solo")["pending_cancellation_date"] is None  # type: ignore[index]
    assert cancel(gh, "direct").json() == {"seats_cancelled": 0}  # already pending


def test_cancel_of_an_enterprise_team_grant_is_422(octo: Simulator, gh: httpx.Client):
    """A user granted only through an enterprise team fails the request, naming them; no change."""
    response = cancel(gh, "direct", "teamed")
    assert response.status_code == 422
    message = response.json()["message"]
    assert "enterprise team" in message
    assert "individually: teamed." in message
    assert octo.seat(ENT, "direct")["pending_cancellation_date"] is None  # type: ignore[index]
    assert octo.seat(ENT, "teamed")["pending_cancellation_date"] is None  # type: ignore[index]


def test_add_creates_and_restores_direct_grants(
    octo: Simulator, gh: httpx.Client, clock: FakeClock
):
    """POST gives an org-only user a direct grant, restores a pending one, skips a live one."""
    cancel(gh, "direct")
    response = gh.post(USERS, json={"selected_usernames": ["solo", "direct", "mixed"]})
    assert response.status_code == 201
    assert response.json() == {"seats_created": 2}
    restored = octo.seat(ENT, "direct")
    assert restored is not None
    assert restored["pending_cancellation_date"] is None
    created = octo.seat(ENT, "solo")
    assert created is not None
    assert created["organization"] is None
    assert created["created_at"] == clock.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert gh.get(SEATS, params={"per_page": 100}).json()["total_seats"] == 5


def test_add_gives_a_team_only_user_a_direct_grant(octo: Simulator, gh: httpx.Client):
    """A user seated only through an enterprise team gets a direct grant of their own."""
    assert gh.post(USERS, json={"selected_usernames": ["teamed"]}).json() == {"seats_created": 1}
    assert [objects_team(r) for r in octo.grants(ENT, "teamed")] == ["ent-devs", None]


def objects_team(record: dict[str, Any]) -> str | None:
    team = record.get("assigning_team")
    return team["slug"] if team else None


@pytest.mark.parametrize("body", [{}, {"selected_usernames": []}, {"selected_usernames": [1]}])
def test_selected_users_rejects_invalid_bodies(octo: Simulator, gh: httpx.Client, body: object):
    """Bodies that break the schema answer 422 on both methods, as on the org endpoint."""
    assert gh.request("DELETE", USERS, json=body).status_code == 422
    assert gh.post(USERS, json=body).status_code == 422


def test_selected_users_rejects_unparsable_json(octo: Simulator, gh: httpx.Client):
    """A body that is not JSON answers 400."""
    headers = {"Content-Type": "application/json"}
    assert gh.request("DELETE", USERS, content=b"{nope", headers=headers).status_code == 400


@pytest.mark.parametrize(
    ("token", "who"),
    [
        ("github_pat_11ABCDEFG0123456789_fine", "personal access token"),
        ("ghs_installation0123456789", "integration"),
        ("ghu_usertoserver0123456789", "integration"),
    ],
)
def test_enterprise_endpoints_refuse_fine_grained_and_app_tokens(
    clock: FakeClock, token: str, who: str
):
    """Fine-grained and app tokens get 403 on every enterprise endpoint; org endpoints work."""
    with Simulator(token=token, clock=clock) as sim:
        sim.add_enterprise("octo")
        sim.add_org("octo-a", enterprise="octo")
        sim.add_seat(ENT, "direct", created_at=CREATED)
        headers = {"Authorization": f"Bearer {token}", "User-Agent": "simulator-tests"}
        with httpx.Client(base_url=sim.github_url, headers=headers, timeout=5) as client:
            refused = [
                client.get(SEATS),
                client.get("/enterprises/octo/members/direct/copilot"),
                client.request("DELETE", USERS, json={"selected_usernames": ["direct"]}),
                client.post(USERS, json={"selected_usernames": ["x"]}),
            ]
            assert [r.status_code for r in refused] == [403] * 4
            assert {r.json()["message"] for r in refused} == {f"Resource not accessible by {who}"}
            assert client.get("/orgs/octo-a/copilot/billing/seats").status_code == 200
        assert sim.seat(ENT, "direct")["pending_cancellation_date"] is None  # type: ignore[index]


def test_wrong_token_is_401_before_the_kind_is_looked_at(octo: Simulator, gh: httpx.Client):
    """A token that is not the simulator's answers 401 Bad credentials on enterprise paths too."""
    response = gh.get(SEATS, headers={"Authorization": "Bearer github_pat_other"})
    assert response.status_code == 401
    assert response.json()["message"] == "Bad credentials"


def test_faults_match_enterprise_paths(octo: Simulator, gh: httpx.Client):
    """Faults match enterprise paths; one on "seats$" matches the org and enterprise lists."""
    octo.inject(Fault(method="GET", path=r"^/enterprises/octo/copilot/billing/seats$", status=503))
    assert gh.get(SEATS).status_code == 503
    assert gh.get(SEATS).status_code == 200
    octo.inject(Fault(path=r"/copilot/billing/seats$", status=502, times=2))
    assert gh.get("/orgs/octo-a/copilot/billing/seats").status_code == 502
    assert gh.get(SEATS).status_code == 502
    assert gh.get(SEATS).status_code == 200
    octo.inject(Fault(method="DELETE", path=r"^/enterprises/.*/selected_users$", status=500))
    assert cancel(gh, "direct").status_code == 500
    assert octo.seat(ENT, "direct")["pending_cancellation_date"] is None  # type: ignore[index]


def test_rate_limit_counts_enterprise_requests(clock: FakeClock):
    """Enterprise requests use up the same hourly budget as org requests."""
    with Simulator(token="ghp_x", clock=clock, rate_limit=2) as sim:
        sim.add_enterprise("octo")
        headers = {"Authorization": "Bearer ghp_x", "User-Agent": "simulator-tests"}
        with httpx.Client(base_url=sim.github_url, headers=headers, timeout=5) as client:
            first = client.get(SEATS)
            assert first.headers["x-ratelimit-remaining"] == "1"
            assert client.get(SEATS).status_code == 200
            assert client.get(SEATS).status_code == 403


def test_seat_methods_take_enterprise_scope_keys(octo: Simulator):
    """seat/set_activity/remove_seat pick a grant by team; direct first without one."""
    direct = octo.seat(ENT, "mixed")
    assert direct is not None
    assert "assigning_team" not in direct
    assert octo.seat(ENT, "teamed")["assigning_team"]["slug"] == "ent-devs"  # type: ignore[index]
    assert octo.seat(ENT, "teamed", team="other") is None
    octo.set_activity(ENT, "mixed", NOW, team="ent-devs")
    assert octo.seat(ENT, "mixed", team="ent-devs")["last_activity_at"] == "2025-03-14T15:09:26Z"  # type: ignore[index]
    assert octo.seat(ENT, "mixed")["last_activity_at"] is None  # type: ignore[index]
    octo.remove_seat(ENT, "mixed")
    assert [objects_team(r) for r in octo.grants(ENT, "mixed")] == ["ent-devs"]
    assert octo.seat(ENT, "mixed")["assigning_team"]["slug"] == "ent-devs"  # type: ignore[index]


def test_state_errors_are_plain(octo: Simulator):
    """Unknown enterprises, duplicate grants and missing grants fail where they are set up."""
    with pytest.raises(KeyError, match="add_enterprise"):
        octo.add_org("lost", enterprise="nowhere")
    with pytest.raises(KeyError, match="add_enterprise"):
        octo.add_seat(enterprise_scope("nowhere"), "x")
    with pytest.raises(ValueError, match="directly"):
        octo.add_seat(ENT, "direct")
    with pytest.raises(ValueError, match="ent-devs"):
        octo.add_seat(ENT, "Teamed", team="ent-devs")
    with pytest.raises(ValueError, match="already exists"):
        octo.add_enterprise("OCTO")
    with pytest.raises(KeyError, match="no seat"):
        octo.set_activity(ENT, "solo", NOW)
    octo.add_seat(ENT, "teamed")  # a direct grant beside the team grant is allowed
    assert len(octo.grants(ENT, "teamed")) == 2


def test_raw_enterprise_records_are_listed_verbatim(octo: Simulator, gh: httpx.Client):
    """A raw record added to the enterprise scope is served as is and counted as a person."""
    octo.add_raw_seat(ENT, {"created_at": "2024-06-01T09:30:00Z", "assignee": None})
    body = gh.get(SEATS, params={"per_page": 100}).json()
    assert body["seats"][-1] == {"created_at": "2024-06-01T09:30:00Z", "assignee": None}
    assert body["total_seats"] == 6
