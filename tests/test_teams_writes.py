"""Team-membership writes through the real client and the simulator: remove, bulk, put back."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from reaper.core.teams import TeamRef
from reaper.errors import GitHubAuthError
from reaper.github import GitHubClient
from reaper.github.team_writes import (
    TeamSyncManagedError,
    add_member,
    remove_member,
    remove_members,
)
from reaper.simulator import Fault
from tests.conftest import GITHUB_TOKEN

if TYPE_CHECKING:
    from collections.abc import Iterator

    from reaper.simulator import Simulator
    from tests.conftest import FakeClock

TEAM = TeamRef(slug="copilot-users", org="acme")
ENT_TEAM = TeamRef(slug="all-devs")
GROUP = {"group_id": "111a", "group_name": "Engineering", "group_description": "devs"}


@pytest.fixture
def client(sim: Simulator) -> Iterator[GitHubClient]:
    """The real GitHub client pointed at the simulator; writes are paced without sleeping."""
    with GitHubClient(
        base_url=sim.github_url, token=GITHUB_TOKEN, max_attempts=2, sleep=lambda _s: None
    ) as github:
        yield github


def test_removal_puts_the_team_seat_into_pending_and_reinstating_restores_it(
    sim: Simulator, clock: FakeClock, client: GitHubClient
) -> None:
    """An org team removal ends the team's grant (pending); putting them back restores it."""
    sim.add_team("copilot-users", org="acme").add_member("ann")
    sim.add_seat("acme", "ann", team="copilot-users", created_at=clock.now)
    remove_member(client.session, TEAM, "ann")
    assert sim.seat("acme", "ann")["pending_cancellation_date"] is not None
    add_member(client.session, TEAM, "ann")
    assert sim.seat("acme", "ann")["pending_cancellation_date"] is None
    put = [r for r in sim.requests if r.method == "PUT"]
    assert [r.json for r in put] == [{"role": "member"}]


def test_a_removal_refused_for_team_sync_is_idp_managed(
    sim: Simulator, client: GitHubClient
) -> None:
    """GitHub's 403 naming team synchronisation is TeamSyncManagedError: the team is IdP-managed."""
    sim.add_team("copilot-users", org="acme", sync_groups=[GROUP]).add_member("ann")
    with pytest.raises(TeamSyncManagedError):
        remove_member(client.session, TEAM, "ann")


def test_another_403_on_removal_is_a_plain_refusal(sim: Simulator, client: GitHubClient) -> None:
    """A 403 that does not name team synchronisation (a missing permission) is not IdP-managed."""
    sim.add_team("copilot-users", org="acme").add_member("ann")
    sim.inject(
        Fault(
            path="/memberships/ann$",
            method="DELETE",
            status=403,
            body={"message": "Must have admin rights to Repository."},
        )
    )
    with pytest.raises(GitHubAuthError) as raised:
        remove_member(client.session, TEAM, "ann")
    assert not isinstance(raised.value, TeamSyncManagedError)


def test_enterprise_removal_goes_in_chunks_of_100(
    sim: Simulator, clock: FakeClock, client: GitHubClient
) -> None:
    """250 members of an enterprise team are removed in three requests, each seat going pending."""
    sim.add_enterprise("acme-ent")
    team = sim.add_team("all-devs", enterprise="acme-ent")
    logins = [f"dev{n:03}" for n in range(250)]
    for login in logins:
        team.add_member(login)
    sim.add_seat("enterprise:acme-ent", "dev007", team="all-devs", created_at=clock.now)
    removed = remove_members(client.session, ENT_TEAM, logins, enterprise="acme-ent")
    assert removed == set(logins)
    bulk = [r for r in sim.requests if r.path.endswith("/memberships/remove")]
    assert [len(r.json["usernames"]) for r in bulk] == [100, 100, 50]
    grants = sim.grants("enterprise:acme-ent", "dev007")
    assert grants[0]["pending_cancellation_date"] is not None


def test_an_idp_linked_enterprise_team_refuses_removal(
    sim: Simulator, client: GitHubClient
) -> None:
    """An enterprise team with a group_id refuses the bulk removal as IdP-managed."""
    sim.add_enterprise("acme-ent")
    sim.add_team("all-devs", enterprise="acme-ent", group_id="62ab").add_member("ann")
    with pytest.raises(TeamSyncManagedError):
        remove_members(client.session, ENT_TEAM, ["ann"], enterprise="acme-ent")


def test_an_enterprise_member_is_put_back(
    sim: Simulator, clock: FakeClock, client: GitHubClient
) -> None:
    """Putting a person back into an enterprise team restores the seat it granted."""
    sim.add_enterprise("acme-ent")
    sim.add_team("all-devs", enterprise="acme-ent").add_member("ann")
    sim.add_seat("enterprise:acme-ent", "ann", team="all-devs", created_at=clock.now)
    remove_members(client.session, ENT_TEAM, ["ann"], enterprise="acme-ent")
    add_member(client.session, ENT_TEAM, "ann", enterprise="acme-ent")
    assert sim.grants("enterprise:acme-ent", "ann")[0]["pending_cancellation_date"] is None
