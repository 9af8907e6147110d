"""REAPER_RECLAIM_TEAMS at start-up: its form, and a named team that cannot be seen stops it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from reaper.config import load_settings
from reaper.errors import ConfigError
from reaper.simulator import Fault
from reaper.simulator.teams import Member
from tests.test_cli import env_for, run

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator


def test_teams_are_read_case_insensitively(clean_env: pytest.MonkeyPatch) -> None:
    """Both forms are read, and a repeat in another case is dropped."""
    clean_env.setenv("REAPER_GITHUB_TOKEN", "ghp_x")
    clean_env.setenv("REAPER_GITHUB_ENTERPRISE", "acme-ent")
    clean_env.setenv("REAPER_RECLAIM_TEAMS", "acme/Copilot, ACME/copilot, ENT:all-devs")
    settings = load_settings()
    assert settings.reclaim_teams == ["acme/Copilot", "ent:all-devs"]
    assert [ref.key for ref in settings.reclaim_team_refs] == ["acme/copilot", "ent:all-devs"]
    assert settings.reclaim_team_maintainers is False


@pytest.mark.parametrize(
    ("teams", "message"),
    [
        ("copilot-users", "REAPER_RECLAIM_TEAMS: not ORG/TEAM_SLUG or ent:TEAM_SLUG"),
        ("ent:all-devs", "ent: team: it needs REAPER_GITHUB_ENTERPRISE"),
    ],
)
def test_a_bad_team_setting_names_the_variable(
    clean_env: pytest.MonkeyPatch, teams: str, message: str
) -> None:
    """A team in another form, or an enterprise team without an enterprise, is a ConfigError."""
    clean_env.setenv("REAPER_GITHUB_TOKEN", "ghp_x")
    clean_env.setenv("REAPER_GITHUB_ORGS", "acme")
    clean_env.setenv("REAPER_RECLAIM_TEAMS", teams)
    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_maintainers_take_true_or_false_only(clean_env: pytest.MonkeyPatch) -> None:
    """REAPER_RECLAIM_TEAM_MAINTAINERS is a flag: ``yes`` is refused."""
    clean_env.setenv("REAPER_GITHUB_TOKEN", "ghp_x")
    clean_env.setenv("REAPER_GITHUB_ORGS", "acme")
    clean_env.setenv("REAPER_RECLAIM_TEAM_MAINTAINERS", "yes")
    with pytest.raises(ConfigError, match="REAPER_RECLAIM_TEAM_MAINTAINERS: use true or false"):
        load_settings()


def test_once_stops_with_exit_2_naming_an_unknown_team(sim: Simulator, tmp_path: Path) -> None:
    """``reaper once`` with a named team that does not exist exits 2, names it, reads no seat."""
    sim.add_team("copilot-users", org="acme")
    env = env_for(sim, tmp_path, RECLAIM_TEAMS="acme/copilot-users,acme/nobody")
    result = run(["once"], env)
    assert result.returncode == 2, result.stderr
    assert "REAPER_RECLAIM_TEAMS: team acme/nobody was not found" in result.stderr
    assert "copilot-users" not in result.stderr
    assert "Traceback" not in result.stderr
    assert not any(r.path.endswith("/copilot/billing/seats") for r in sim.requests)


def test_check_fails_an_unknown_team_and_warns_a_refused_one(
    sim: Simulator, tmp_path: Path
) -> None:
    """``reaper check`` says which named team is missing and why another is refused."""
    group = {"group_id": "111a", "group_name": "Engineering", "group_description": "devs"}
    sim.add_team("synced", org="acme", sync_groups=[group])
    plain = sim.add_team("copilot-users", org="acme")
    plain.members["ann"] = Member("ann")
    teams = "acme/copilot-users,acme/synced,acme/nobody"
    result = run(["check"], env_for(sim, tmp_path, RECLAIM_TEAMS=teams))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "[ok] team acme/copilot-users: idle members can be removed from it" in lines
    assert any(
        line.startswith("[warn] team acme/synced is kept in sync with IdP group 'Engineering'")
        for line in lines
    )
    assert any(line.startswith("[FAIL] REAPER_RECLAIM_TEAMS: team acme/nobody") for line in lines)


def test_check_names_a_missing_members_scope(sim: Simulator, tmp_path: Path) -> None:
    """A classic token without admin:org (X-OAuth-Scopes) fails the team's check line."""
    sim.add_team("copilot-users", org="acme")
    sim.inject(
        Fault(
            path="^/orgs/acme/teams/copilot-users$",
            status=200,
            headers={"X-OAuth-Scopes": "manage_billing:copilot, read:org"},
            body={"slug": "copilot-users"},
            times=2,
        )
    )
    result = run(["check"], env_for(sim, tmp_path, RECLAIM_TEAMS="acme/copilot-users"))
    assert result.returncode == 1
    assert (
        "[FAIL] team acme/copilot-users: the token has scopes manage_billing:copilot, read:org; "
        "removing a team member needs admin:org" in result.stdout
    )
