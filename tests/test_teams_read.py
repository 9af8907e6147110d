"""Reading a team through the real client and the simulator: each refusal from GitHub's answers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from reaper.core.teams import TeamRef, member_refusal, team_refusal
from reaper.github import GitHubClient
from reaper.github.teams import (
    TeamNotFoundError,
    child_team_members,
    membership,
    read_team_facts,
)
from reaper.simulator import Fault
from reaper.simulator.teams import Member
from tests.conftest import GITHUB_TOKEN

if TYPE_CHECKING:
    from collections.abc import Iterator

    from reaper.simulator import Simulator

TEAM = TeamRef(slug="copilot-users", org="acme")


@pytest.fixture
def client(sim: Simulator) -> Iterator[GitHubClient]:
    """The real GitHub client pointed at the simulator, retrying quickly."""
    with GitHubClient(
        base_url=sim.github_url, token=GITHUB_TOKEN, max_attempts=2, sleep=lambda _s: None
    ) as github:
        yield github


def refusal_of(client: GitHubClient, ref: TeamRef = TEAM, **kw: Any) -> str | None:
    """The code of the team's refusal, read through the client."""
    refusal = team_refusal(read_team_facts(client.session, ref, **kw))
    return None if refusal is None else refusal.code


def test_a_plain_team_is_not_refused(sim: Simulator, client: GitHubClient) -> None:
    """No team sync (GitHub's 403 'not externally managed'), no groups, no repos: writable."""
    sim.add_team("copilot-users", org="acme")
    assert refusal_of(client) is None


def test_a_team_in_a_team_sync_org_with_no_groups_is_not_refused(
    sim: Simulator, client: GitHubClient
) -> None:
    """``200 {"groups": []}`` means not synced."""
    sim.add_team("copilot-users", org="acme", sync_groups=[])
    assert refusal_of(client) is None


def test_a_synced_team_is_refused_naming_its_group(sim: Simulator, client: GitHubClient) -> None:
    """Team-sync group mappings with a group refuse the team and name the group."""
    group = {"group_id": "111a", "group_name": "Engineering", "group_description": "devs"}
    sim.add_team("copilot-users", org="acme", sync_groups=[group])
    refusal = team_refusal(read_team_facts(client.session, TEAM))
    assert refusal is not None
    assert (refusal.code, refusal.groups) == ("idp_synced", ("Engineering",))


def test_a_forbidden_team_sync_read_is_unknown(sim: Simulator, client: GitHubClient) -> None:
    """GitHub's other 403 ('must be an organization owner...') leaves sync unknown: refused."""
    sim.add_team("copilot-users", org="acme", sync_forbidden=True)
    facts = read_team_facts(client.session, TEAM)
    assert facts.sync == "unknown"
    assert "organization owner" in (facts.unknown_reason or "")
    assert refusal_of(client) == "idp_unknown"


def test_a_failing_team_sync_read_is_unknown(sim: Simulator, client: GitHubClient) -> None:
    """A 5xx on the team-sync read after retries leaves sync unknown: refused."""
    sim.add_team("copilot-users", org="acme")
    sim.inject(Fault(path="/team-sync/group-mappings$", status=502, times=5))
    assert refusal_of(client) == "idp_unknown"


def test_an_emu_external_group_refuses_the_team(sim: Simulator, client: GitHubClient) -> None:
    """A team linked to an EMU external group is refused, naming it."""
    group = {"group_id": 7, "group_name": "eng-all", "updated_at": "2026-01-01T00:00:00Z"}
    sim.add_team("copilot-users", org="acme", external_groups=[group])
    refusal = team_refusal(read_team_facts(client.session, TEAM))
    assert refusal is not None
    assert (refusal.code, refusal.groups) == ("external_group", ("eng-all",))


def test_external_group_400s_mean_no_group(sim: Simulator, client: GitHubClient) -> None:
    """GitHub's 400 'cannot be externally managed' (explicit members) means no linked group."""
    team = sim.add_team("copilot-users", org="acme", external_groups=[])
    team.members["ann"] = Member("ann")
    assert refusal_of(client) is None


def test_a_team_granting_repositories_is_refused(sim: Simulator, client: GitHubClient) -> None:
    """A team that grants repositories is refused, with how many."""
    sim.add_team("copilot-users", org="acme", repos=["api", "web"])
    refusal = team_refusal(read_team_facts(client.session, TEAM))
    assert refusal is not None
    assert refusal.code == "grants_repositories"
    assert "grants 2 repositories" in refusal.text


def test_an_enterprise_team_with_a_group_id_is_refused(
    sim: Simulator, client: GitHubClient
) -> None:
    """An enterprise team with ``group_id`` and no ``group_name`` is refused, naming the id."""
    sim.add_enterprise("acme-ent")
    sim.add_team("all-devs", enterprise="acme-ent", group_id="62ab-9f")
    ref = TeamRef(slug="all-devs")
    refusal = team_refusal(read_team_facts(client.session, ref, enterprise="acme-ent"))
    assert refusal is not None
    assert refusal.groups == ("62ab-9f",)


def test_an_enterprise_team_without_a_group_is_not_refused(
    sim: Simulator, client: GitHubClient
) -> None:
    """An enterprise team with no linked IdP group may be written."""
    sim.add_enterprise("acme-ent")
    sim.add_team("all-devs", enterprise="acme-ent")
    assert refusal_of(client, TeamRef(slug="all-devs"), enterprise="acme-ent") is None


def test_a_missing_team_is_not_found(sim: Simulator, client: GitHubClient) -> None:
    """A team that does not exist raises TeamNotFoundError naming it."""
    del sim
    with pytest.raises(TeamNotFoundError, match="acme/copilot-users"):
        read_team_facts(client.session, TEAM)


def test_memberships_maintainer_pending_and_none(sim: Simulator, client: GitHubClient) -> None:
    """The membership read gives role and state, and a 404 means no membership."""
    team = sim.add_team("copilot-users", org="acme")
    team.members.update(
        {
            "ann": Member("ann"),
            "max": Member("max", role="maintainer"),
            "pia": Member("pia", state="pending"),
        }
    )
    codes = {}
    for login in ("ann", "max", "pia", "zed"):
        refusal = member_refusal(
            TEAM, membership(client.session, TEAM, login), reclaim_maintainers=False
        )
        codes[login] = None if refusal is None else refusal.code
    assert codes == {"ann": None, "max": "maintainer", "pia": "pending", "zed": "not_member"}


def test_child_team_members_are_found(sim: Simulator, client: GitHubClient) -> None:
    """A child team's members are read through the child teams the team lists."""
    sim.add_team("copilot-users", org="acme", children=["platform"])
    child = sim.add_team("platform", org="acme")
    child.members["kim"] = Member("kim")
    facts = read_team_facts(client.session, TEAM)
    assert facts.child_teams == ("platform",)
    assert child_team_members(client.session, TEAM, "platform") == {"kim"}
    assert membership(client.session, TEAM, "kim").found  # GitHub answers 200 for them too


def test_team_sync_closed_to_an_app_is_left_to_the_removal(
    sim: Simulator, client: GitHubClient
) -> None:
    """An App's 403 on team sync is not "unknown": a synced team refuses the removal instead."""
    sim.add_team("copilot-users", org="acme")
    sim.inject(
        Fault(
            path="/team-sync/group-mappings$",
            status=403,
            body={"message": "Resource not accessible by integration"},
        )
    )
    facts = read_team_facts(client.session, TeamRef(slug="copilot-users", org="acme"))
    assert facts.sync == "not_synced"
    assert team_refusal(facts) is None
