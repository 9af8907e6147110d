"""GitHubClient's scope-generic methods and preflight_enterprise, against the simulator."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from reaper.core.domain import enterprise_scope
from reaper.errors import (
    BadResponseError,
    GitHubAuthError,
    GitHubUnprocessableError,
)
from reaper.github import GitHubClient
from reaper.github.preflight import preflight_enterprise
from reaper.simulator import Fault, Simulator
from tests.conftest import GITHUB_TOKEN

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.conftest import FakeClock

ENT = enterprise_scope("octo")
CREATED = datetime(2024, 6, 1, 9, 30, tzinfo=UTC)
MEMBER = r"^/enterprises/octo/members/[^/]+/copilot$"


@pytest.fixture
def octo(sim: Simulator) -> Simulator:
    """Enterprise octo (orgs octo-a, octo-b): mixed holds an org, a direct and a team grant."""
    sim.add_enterprise("octo")
    sim.add_org("octo-a", enterprise="octo")
    sim.add_org("octo-b", enterprise="octo")
    sim.add_seat("octo-a", "both", created_at=CREATED)
    sim.add_seat("octo-b", "both", created_at=CREATED)
    sim.add_seat("octo-a", "mixed", created_at=CREATED)
    sim.add_seat(ENT, "mixed", created_at=CREATED)
    sim.add_seat(ENT, "mixed", created_at=CREATED, team="ent-devs")
    sim.add_seat(ENT, "direct", created_at=CREATED)
    sim.add_seat(ENT, "teamed", created_at=CREATED, team="ent-devs")
    return sim


def make_client(sim: Simulator, token: str = GITHUB_TOKEN) -> GitHubClient:
    """A real client on the simulator that never sleeps and tries each request once."""
    return GitHubClient(base_url=sim.github_url, token=token, max_attempts=1, sleep=lambda _: None)


@pytest.fixture
def client(octo: Simulator) -> Iterator[GitHubClient]:
    with make_client(octo) as github:
        yield github


def team_of(record: dict[str, Any]) -> str | None:
    team = record.get("assigning_team")
    return team["slug"] if isinstance(team, dict) else None


def test_enterprise_pages_hold_every_grant(client: GitHubClient):
    """iter_seat_pages on an enterprise follows every page: 7 records, total_seats 4 persons."""
    pages = list(client.iter_seat_pages(ENT, per_page=2))
    assert len(pages) == 4
    assert {page.total_seats for page in pages} == {4}
    assert sum(len(page.seats) for page in pages) == 7


def test_org_scope_still_reads_the_org(client: GitHubClient):
    """An org login is a scope key: the org's own list, as before."""
    (page,) = client.iter_seat_pages("octo-a")
    assert page.total_seats == 2
    assert [r["assignee"]["login"] for r in page.seats] == ["both", "mixed"]


def test_get_seat_on_an_enterprise_is_the_direct_grant(client: GitHubClient):
    """get_seat(enterprise) returns the direct enterprise-level grant, else None."""
    mixed = client.get_seat(ENT, "mixed")
    assert mixed is not None
    assert mixed["organization"] is None
    assert team_of(mixed) is None
    assert client.get_seat(ENT, "teamed") is None  # only through an enterprise team
    assert client.get_seat(ENT, "both") is None  # only through orgs
    assert client.get_seat(ENT, "ghost") is None  # 404


def test_get_seat_on_an_org_is_the_org_record(client: GitHubClient):
    """get_seat(org) returns the org's record of the user, None on 404."""
    record = client.get_seat("octo-a", "mixed")
    assert record is not None
    assert record["organization"]["login"] == "octo-a"
    assert client.get_seat("octo-a", "ghost") is None


def test_get_grants_lists_every_grant(client: GitHubClient):
    """get_grants: every record of the user in an enterprise; the one record in an org."""
    grants = client.get_grants(ENT, "mixed")
    grantors = [((g["organization"] or {}).get("login"), team_of(g)) for g in grants]
    assert grantors == [("octo-a", None), (None, None), (None, "ent-devs")]
    assert client.get_grants(ENT, "ghost") == []
    assert len(client.get_grants("octo-b", "both")) == 1
    assert client.get_grants("octo-b", "mixed") == []


def test_cancel_and_add_on_an_enterprise(octo: Simulator, client: GitHubClient):
    """cancel_seats and add_seats hit the enterprise selected_users endpoint and count."""
    assert client.cancel_seats(ENT, ["direct", "mixed", "both"]) == 2
    assert octo.seat(ENT, "direct")["pending_cancellation_date"] is not None  # type: ignore[index]
    assert client.add_seats(ENT, ["direct", "newbie"]) == 2
    assert octo.seat(ENT, "direct")["pending_cancellation_date"] is None  # type: ignore[index]
    assert octo.seat(ENT, "newbie") is not None
    methods = [(r.method, r.path) for r in octo.requests]
    assert methods == [
        ("DELETE", "/enterprises/octo/copilot/billing/selected_users"),
        ("POST", "/enterprises/octo/copilot/billing/selected_users"),
    ]


def test_add_on_an_org_restores_a_seat(octo: Simulator, client: GitHubClient):
    """add_seats on an org POSTs the org's selected_users and restores a cancelled seat."""
    assert client.cancel_seats("octo-a", ["both"]) == 1
    assert client.add_seats("octo-a", ["both"]) == 1
    assert octo.seat("octo-a", "both")["pending_cancellation_date"] is None  # type: ignore[index]


def test_422_is_unprocessable_for_cancels_and_adds(octo: Simulator, client: GitHubClient):
    """An enterprise-team cancel and an add GitHub will not do raise GitHubUnprocessableError."""
    with pytest.raises(GitHubUnprocessableError, match="teamed"):
        client.cancel_seats(ENT, ["teamed"])
    octo.add_org("everyone", seat_management_setting="assign_all")
    with pytest.raises(GitHubUnprocessableError, match="assign selected"):
        client.add_seats("everyone", ["bob"])


@pytest.mark.parametrize(
    ("method", "body", "call"),
    [
        ("GET", {"total_seats": 1}, "list"),
        ("GET", {"total_seats": True, "seats": []}, "list"),
        ("GET", {"total_seats": 1, "seats": "x"}, "grants"),
        ("GET", {"total_seats": 1, "seats": [1]}, "grants"),
        ("GET", [], "grants"),
        ("DELETE", {"seats_cancelled": "2"}, "cancel"),
        ("POST", {"seats_created": True}, "add"),
        ("POST", {}, "add"),
    ],
)
def test_malformed_enterprise_bodies_are_bad_responses(
    octo: Simulator, client: GitHubClient, method: str, body: object, call: str
):
    """Answers of the wrong shape raise BadResponseError naming the enterprise."""
    octo.inject(Fault(method=method, path=r"^/enterprises/octo/", status=200, body=body))
    calls = {
        "list": lambda: list(client.iter_seat_pages(ENT)),
        "grants": lambda: client.get_grants(ENT, "mixed"),
        "cancel": lambda: client.cancel_seats(ENT, ["direct"]),
        "add": lambda: client.add_seats(ENT, ["direct"]),
    }
    with pytest.raises(BadResponseError, match="enterprise octo"):
        calls[call]()


def test_malformed_member_body_breaks_get_seat_too(octo: Simulator, client: GitHubClient):
    """get_seat on an enterprise reads the member endpoint: a bad body is a BadResponseError."""
    octo.inject(Fault(method="GET", path=MEMBER, status=200, body={"seats": None}))
    with pytest.raises(BadResponseError, match="mixed in enterprise octo"):
        client.get_seat(ENT, "mixed")


def test_a_refused_token_is_an_auth_error_without_the_token(clock: FakeClock):
    """A fine-grained token gets 403 from an enterprise endpoint; the error never quotes it."""
    token = "github_pat_11SECRETfineGRAINED0123456789"
    with Simulator(token=token, clock=clock) as sim, make_client(sim, token) as github:
        sim.add_enterprise("octo")
        with pytest.raises(GitHubAuthError) as raised:
            list(github.iter_seat_pages(ENT))
    assert raised.value.status == 403
    assert "Resource not accessible by personal access token" in str(raised.value)
    assert token not in str(raised.value)


# -- preflight_enterprise -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        ("github_pat_11SECRETfineGRAINED0123456789", "fine-grained personal access token"),
        ("ghs_SECRETinstallation0123456789", "GitHub App installation token"),
        ("ghu_SECRETusertoserver0123456789", "GitHub App user token"),
    ],
)
def test_preflight_refuses_other_token_kinds_without_asking(
    clock: FakeClock, token: str, kind: str
):
    """A fine-grained or app token is named as such, before any request, never quoted."""
    with Simulator(token=token, clock=clock) as sim, make_client(sim, token) as github:
        sim.add_enterprise("octo")
        problem = preflight_enterprise(github, "octo", token)
        assert sim.requests == []
    assert problem is not None
    assert kind in problem
    assert "REAPER_GITHUB_TOKEN" in problem
    assert "classic personal access token" in problem
    assert "manage_billing:copilot" in problem
    assert "enterprise octo" in problem
    assert token not in problem


def test_preflight_accepts_a_classic_token_with_one_small_request(
    octo: Simulator, client: GitHubClient
):
    """With a classic token and a known enterprise: None, after one per_page=1 read."""
    assert preflight_enterprise(client, "octo", GITHUB_TOKEN) is None
    (request,) = octo.requests
    assert request.path == "/enterprises/octo/copilot/billing/seats"
    assert request.query == {"per_page": ["1"]}


def test_preflight_names_the_variable_for_each_refusal(octo: Simulator):
    """401 names REAPER_GITHUB_TOKEN, 403 the classic-token permission, 404 the slug variable."""
    with make_client(octo, "ghp_SECRETwrong0123456789") as wrong:
        unauthorised = preflight_enterprise(wrong, "octo", "ghp_SECRETwrong0123456789")
    assert unauthorised == (
        "GitHub refused the token for enterprise octo (401): check REAPER_GITHUB_TOKEN"
    )
    with make_client(octo) as github:
        octo.inject(Fault(path="^/enterprises/octo/", status=403, body={"message": "Forbidden"}))
        forbidden = preflight_enterprise(github, "octo", GITHUB_TOKEN)
        missing = preflight_enterprise(github, "nowhere", GITHUB_TOKEN)
        octo.inject(Fault(path="^/enterprises/octo/", status=503))
        down = preflight_enterprise(github, "octo", GITHUB_TOKEN)
    assert forbidden is not None
    assert forbidden.startswith("the token may not manage Copilot seats of enterprise octo (403)")
    assert "REAPER_GITHUB_TOKEN" in forbidden
    assert "manage_billing:copilot" in forbidden
    assert missing is not None
    assert missing.startswith("enterprise nowhere was not found (404)")
    assert "REAPER_GITHUB_ENTERPRISE" in missing
    assert down is not None
    assert down.startswith("could not read the Copilot seats of enterprise octo")
    for text in (unauthorised, forbidden, missing, down):
        assert GITHUB_TOKEN not in text
        assert "SECRET" not in text
