"""`reaper demo` shows one team removal and one team an identity provider keeps in sync."""

from __future__ import annotations

import subprocess

import pytest

from tests.test_cli import REAPER


@pytest.mark.usefixtures("clean_env")
def test_the_demo_removes_one_person_from_a_team_and_refuses_a_synced_one() -> None:
    """team-tom leaves copilot-users (seat pending); synced-sue stays, the IdP group named."""
    result = subprocess.run(
        [*REAPER, "demo"], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "team-tom removed from team acme-corp/copilot-users, seat pending cancellation" in out
    assert "kept in sync with IdP group 'Engineering' (untouched)" in out
