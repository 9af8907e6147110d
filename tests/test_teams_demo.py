"""`reaper demo` shows one team removal and one team an identity provider keeps in sync."""

from __future__ import annotations

import subprocess

import pytest

from tests.test_cli import REAPER


@pytest.mark.usefixtures("clean_env")
def test_the_demo_removes_one_person_from_a_team_and_refuses_a_synced_one() -> None:
    """team-tom leaves copilot-users and is put back; synced-sue stays, the IdP group named."""
    result = subprocess.run(
        [*REAPER, "demo"], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "added team-tom back to team acme-corp/copilot-users, exempt until" in out
    assert "team-tom removed from team acme-corp/copilot-users on day 7, put back by" in out
    assert "kept in sync with IdP group 'Engineering' (untouched)" in out


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("auth", ["token", "app"])
def test_every_team_granting_a_demo_seat_is_read_and_named_in_who_can(auth: str) -> None:
    """Both demos read every granting team (no team.unreadable) and say who can reclaim."""
    result = subprocess.run(
        [*REAPER, "demo", "--auth", auth], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    said = result.stdout + result.stderr
    assert "team.unreadable" not in said
    assert "was not found (404)" not in said
    assert "team acme-labs/platform is not in REAPER_RECLAIM_TEAMS" in said
    assert "enterprise team ent:ent-devs is not in REAPER_RECLAIM_TEAMS" in said
