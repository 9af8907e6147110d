"""The GraphQL client against the simulated endpoint: paging, errors read, its rate limit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from reaper.errors import GitHubAuthError, GitHubUnavailableError
from reaper.github.auth import BearerToken
from reaper.github.graphql import GraphQL, QueryLimits, graphql_url
from reaper.github.identities import ORG_IDENTITIES, IdentityReader
from reaper.github.session import GitHubSession
from reaper.simulator import Fault
from tests.simulator.support import TOKEN as GITHUB_TOKEN

if TYPE_CHECKING:
    from collections.abc import Iterator

    from reaper.simulator import Simulator
    from tests.conftest import FakeClock


@pytest.fixture
def waits() -> list[float]:
    """The waits the client asked for (recorded, not slept)."""
    return []


@pytest.fixture
def graphql(sim: Simulator, clock: FakeClock, waits: list[float]) -> Iterator[GraphQL]:
    """A GraphQL client on the simulator, as the reaper builds it."""
    session = GitHubSession(
        base_url=sim.github_url,
        auth=BearerToken(GITHUB_TOKEN),
        api_version="2022-11-28",
        timeout=10,
        max_attempts=3,
        max_wait=900,
        rate_limit_reserve=0,
        sleep=waits.append,
        clock=clock,
        transport=None,
    )
    session.limits = QueryLimits(reserve=0, clock=clock)
    client = GraphQL(session, graphql_url(sim.github_url))
    yield client
    client.close()


@pytest.mark.parametrize(
    ("api", "expected"),
    [
        ("https://api.github.com", "https://api.github.com/graphql"),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com/api/graphql"),
        ("https://ghe.example.com/api/v3/", "https://ghe.example.com/api/graphql"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/graphql"),
    ],
)
def test_the_endpoint_is_derived_from_the_api_url(api: str, expected: str) -> None:
    """The GraphQL URL follows the REST API's: github.com, GitHub Enterprise Server, a proxy."""
    assert graphql_url(api) == expected
    assert graphql_url(api, "https://other.example/graphql") == "https://other.example/graphql"


def test_identities_are_paged_by_cursor(sim: Simulator, graphql: GraphQL) -> None:
    """A list of 250 is read in pages of 100, each after the last page's cursor."""
    for n in range(250):
        sim.graphql.add_identity("acme", f"m-{n}", name_id=f"m{n}@corp.com")
    reader = IdentityReader(graphql, org="acme", enterprise=None)
    got = reader.read([f"m-{n}" for n in range(0, 250, 5)], ["saml"])
    assert len(got.found["saml"]) == 50
    assert got.found["saml"]["m-245"] == ["m245@corp.com"]
    afters = [r.json["variables"]["after"] for r in sim.requests if r.path == "/graphql"]
    assert len(afters) == 3
    assert afters[0] is None
    assert afters[1] != afters[2]


def test_a_partial_error_is_read_not_trusted(sim: Simulator, graphql: GraphQL) -> None:
    """FORBIDDEN under SAML enforcement comes back with null data: read as "not authorised"."""
    sim.graphql.add_identity("acme", "ian", name_id="ian@corp.com")
    sim.graphql.unauthorised.add("acme")
    answer = graphql.query(ORG_IDENTITIES, {"org": "acme", "first": 1, "login": "ian"})
    assert answer.data["organization"]["samlIdentityProvider"] is None
    [problem] = answer.problems
    assert problem.kind == "SAML"
    assert problem.path == ("organization", "samlIdentityProvider")
    got = IdentityReader(graphql, org="acme", enterprise=None).read(["ian"], ["saml"])
    assert got.found == {}
    assert "not authorised for SSO" in got.unavailable["saml"]


def test_an_org_without_sso_is_no_saml(sim: Simulator, graphql: GraphQL) -> None:
    """No identity provider and no error: SAML is off, named with what would enable it."""
    got = IdentityReader(graphql, org="acme", enterprise=None).read(["ian"], ["saml", "scim"])
    assert set(got.unavailable) == {"saml", "scim"}
    assert "turn on SAML single sign-on" in got.unavailable["scim"]


def test_the_enterprise_identities_are_read(sim: Simulator, graphql: GraphQL) -> None:
    """With an enterprise, its owner info's identity provider answers (SCIM here)."""
    sim.add_enterprise("octo")
    sim.graphql.add_identity("enterprise:octo", "eve", scim_emails=["eve@corp.com"])
    got = IdentityReader(graphql, org=None, enterprise="octo").read(["eve"], ["scim"])
    assert got.found == {"scim": {"eve": ["eve@corp.com"]}}


def test_a_rate_limited_answer_is_waited_out(
    sim: Simulator, graphql: GraphQL, waits: list[float]
) -> None:
    """A RATE_LIMITED answer (no data) makes the client wait, then ask again."""
    sim.graphql.sso("acme")
    limited = {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]}
    sim.inject(Fault(path="/graphql", status=200, body=limited))
    answer = graphql.query(ORG_IDENTITIES, {"org": "acme", "first": 1})
    assert waits == [60.0]
    assert answer.data["organization"]["samlIdentityProvider"] is not None
    assert graphql.requests == 2


def test_graphqls_points_are_kept_within_the_budget(sim: Simulator, graphql: GraphQL) -> None:
    """With GraphQL's points spent, a wait past REAPER_GITHUB_MAX_WAIT_SECONDS fails cleanly."""
    sim.graphql.sso("acme")
    sim.graphql.points = 1
    graphql.query(ORG_IDENTITIES, {"org": "acme", "first": 1})
    with pytest.raises(GitHubUnavailableError, match="REAPER_GITHUB_MAX_WAIT_SECONDS"):
        graphql.query(ORG_IDENTITIES, {"org": "acme", "first": 1})


def test_a_bad_token_is_an_auth_error(sim: Simulator, clock: FakeClock) -> None:
    """A token GitHub refuses is a GitHubAuthError, the token named nowhere."""
    session = GitHubSession(
        base_url=sim.github_url,
        auth=BearerToken("ghp_wrong"),
        api_version="2022-11-28",
        timeout=10,
        max_attempts=1,
        max_wait=0,
        rate_limit_reserve=0,
        sleep=lambda _s: None,
        clock=clock,
        transport=None,
    )
    client = GraphQL(session, graphql_url(sim.github_url))
    with pytest.raises(GitHubAuthError) as caught:
        client.query(ORG_IDENTITIES, {"org": "acme", "first": 1})
    client.close()
    assert "ghp_wrong" not in str(caught.value)
