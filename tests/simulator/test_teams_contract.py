"""Contract and behaviour of the simulated teams, against GitHub's OpenAPI for team endpoints.

The schema is tests/data/github-openapi-teams-apps-usage.json (@octokit/openapi 23.0.2
``ghec.deref.json``, the team, app and usage subset, as in the shared GitHub reference).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from openapi_core import OpenAPI

from reaper.core.teams import TeamRef
from reaper.github import GitHubClient
from reaper.github.team_writes import add_member, remove_member, remove_members
from reaper.github.teams import membership, read_team_facts
from reaper.simulator.teams import (
    EXPLICIT_MEMBERS,
    NOT_EMU,
    NOT_EXTERNALLY_MANAGED,
    SYNC_FORBIDDEN,
    Member,
)

from .openapi_check import _restore_descriptions, assert_request_conforms, validate_exchange
from .support import TOKEN

if TYPE_CHECKING:
    import httpx

    from reaper.simulator import Simulator

SPEC = Path(__file__).resolve().parent.parent / "data" / "github-openapi-teams-apps-usage.json"
CREATED = datetime(2024, 6, 1, 9, 30, tzinfo=UTC)
TEAM = "/orgs/acme/teams/copilot-users"
GROUP = {"group_id": "111a", "group_name": "Engineering", "group_description": "devs"}


@cache
def teams_openapi() -> OpenAPI:
    """The team-endpoint spec, with servers relaxed to match any host."""
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    spec["servers"] = [{"url": "/"}]
    _restore_descriptions(spec)
    return OpenAPI.from_dict(spec)


def check(response: httpx.Response, status: int) -> None:
    """The answer has ``status`` and fits the published schema."""
    assert response.status_code == status, response.text
    validate_exchange(teams_openapi(), response.request, response)


@pytest.fixture
def team(sim: Simulator) -> Simulator:
    """An org team with a member, a maintainer, a pending invitation and a granted seat."""
    made = sim.add_team("copilot-users", org="acme", repos=["api"])
    made.members.update(
        {
            "ann": Member("ann"),
            "max": Member("max", role="maintainer"),
            "pia": Member("pia", state="pending"),
        }
    )
    sim.add_seat("acme", "ann", created_at=CREATED, team="copilot-users")
    return sim


def test_team_reads_conform(team: Simulator, gh: httpx.Client) -> None:
    """The team, its repositories, members and memberships match GitHub's schemas."""
    check(gh.get(TEAM), 200)
    check(gh.get(f"{TEAM}/repos"), 200)
    check(gh.get(f"{TEAM}/members"), 200)
    for login in ("ann", "max", "pia"):
        check(gh.get(f"{TEAM}/memberships/{login}"), 200)


def test_sync_and_group_reads_conform(sim: Simulator, gh: httpx.Client) -> None:
    """Group mappings and external groups match GitHub's schemas."""
    sim.add_team("copilot-users", org="acme", sync_groups=[GROUP])
    sim.add_team(
        "emu", org="acme", external_groups=[{"group_id": 7, "group_name": "eng", "updated_at": "x"}]
    )
    check(gh.get(f"{TEAM}/team-sync/group-mappings"), 200)
    check(gh.get("/orgs/acme/teams/emu/external-groups"), 200)


def test_github_texts_for_unsynced_forbidden_and_non_emu(sim: Simulator, gh: httpx.Client) -> None:
    """No team sync, no permission, no EMU, explicit members: each answers GitHub's own text."""
    sim.add_team("copilot-users", org="acme")
    sim.add_team("hidden", org="acme", sync_forbidden=True)
    sim.add_team("explicit", org="acme", external_groups=[]).members["a"] = Member("a")
    answers = [
        gh.get(f"{TEAM}/team-sync/group-mappings"),
        gh.get("/orgs/acme/teams/hidden/team-sync/group-mappings"),
        gh.get(f"{TEAM}/external-groups"),
        gh.get("/orgs/acme/teams/explicit/external-groups"),
    ]
    assert [(r.status_code, r.json()["message"]) for r in answers] == [
        (403, NOT_EXTERNALLY_MANAGED),
        (403, SYNC_FORBIDDEN),
        (400, NOT_EMU),
        (400, EXPLICIT_MEMBERS),
    ]


def test_removing_a_member_puts_the_team_seat_into_pending(
    team: Simulator, gh: httpx.Client
) -> None:
    """DELETE of a membership answers 204, the seat goes pending, PUT restores it."""
    assert gh.delete(f"{TEAM}/memberships/ann").status_code == 204
    assert gh.get(f"{TEAM}/memberships/ann").status_code == 404
    assert team.seat("acme", "ann")["pending_cancellation_date"] is not None
    put = gh.put(f"{TEAM}/memberships/ann", json={"role": "member"})
    check(put, 200)
    assert team.seat("acme", "ann")["pending_cancellation_date"] is None


def test_a_synced_team_refuses_removal(sim: Simulator, gh: httpx.Client) -> None:
    """A team kept by team sync answers a removal with 403 naming team synchronisation."""
    sim.add_team("copilot-users", org="acme", sync_groups=[GROUP]).members["ann"] = Member("ann")
    answer = gh.delete(f"{TEAM}/memberships/ann")
    assert answer.status_code == 403
    assert "team synchronization" in answer.json()["message"]
    assert gh.get(f"{TEAM}/memberships/ann").status_code == 200


def test_an_enterprise_team_shows_its_group(sim: Simulator, gh: httpx.Client) -> None:
    """An enterprise team linked to an IdP group has its ``group_id``."""
    sim.add_enterprise("acme-ent")
    sim.add_team("all-devs", enterprise="acme-ent", group_id="62ab")
    answer = gh.get("/enterprises/acme-ent/teams/all-devs")
    check(answer, 200)
    assert answer.json()["group_id"] == "62ab"


def test_the_reapers_team_requests_conform(sim: Simulator) -> None:
    """Every team request the adapter sends (reads, removals, putting back) fits the spec."""
    sim.add_team("copilot-users", org="acme").add_member("ann")
    sim.add_enterprise("acme-ent")
    sim.add_team("all-devs", enterprise="acme-ent").add_member("bob")
    org_team, ent_team = TeamRef("copilot-users", "acme"), TeamRef("all-devs")
    with GitHubClient(base_url=sim.github_url, token=TOKEN, sleep=lambda _s: None) as client:
        read_team_facts(client.session, org_team)
        membership(client.session, org_team, "ann")
        remove_member(client.session, org_team, "ann")
        add_member(client.session, org_team, "ann")
        read_team_facts(client.session, ent_team, enterprise="acme-ent")
        remove_members(client.session, ent_team, ["bob"], enterprise="acme-ent")
        add_member(client.session, ent_team, "bob", enterprise="acme-ent")
    sent = [r for r in sim.requests if not r.path.endswith("/teams")]  # child teams: not in it
    assert len(sent) == 10
    for recorded in sent:
        assert_request_conforms(recorded, teams_openapi())
