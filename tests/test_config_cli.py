"""A strict configuration through the real command line: exit 2, the variable named, no trace."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from reaper.cli import EXIT_CONFIG
from tests.conftest import GITHUB_TOKEN
from tests.test_cli import env_for, run

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator


@pytest.mark.parametrize(
    ("command", "extra", "expected"),
    [
        ("check", {"EXEMPT_USER": "alice"}, "did you mean REAPER_EXEMPT_USERS?"),
        ("once", {"DRY_RUN": "no"}, "REAPER_DRY_RUN: use true or false"),
        ("check", {"SCHEDULE": "0 9 31 2 *"}, "REAPER_SCHEDULE: never fires"),
        ("once", {"STATE_URL": "postgresql://u:hunter2@db:notaport/r"}, "REAPER_STATE_URL"),
    ],
)
def test_a_bad_setting_exits_2_before_contacting_anybody(
    sim: Simulator, tmp_path: Path, command: str, extra: dict[str, str], expected: str
) -> None:
    """A bad setting stops the command: exit 2, one message, and GitHub and Slack hear nothing."""
    result = run([command], env_for(sim, tmp_path, **extra))
    assert result.returncode == EXIT_CONFIG, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert GITHUB_TOKEN not in result.stdout + result.stderr
    assert "hunter2" not in result.stdout + result.stderr
    assert sim.requests == []
    assert sim.slack_messages == []
    assert not (tmp_path / "state.db").exists()


def test_an_unreadable_secret_file_exits_2(sim: Simulator, tmp_path: Path) -> None:
    """A mounted token that is a folder, not a file, is named on stderr without a traceback."""
    secrets = tmp_path / "secrets"
    (secrets / "REAPER_SLACK_BOT_TOKEN").mkdir(parents=True)
    (secrets / "REAPER_GITHUB_TOKN").write_text(GITHUB_TOKEN)
    env = env_for(sim, tmp_path, SECRETS_DIR=str(secrets), SLACK_CHANNEL="#seats")
    result = run(["check"], env)
    assert result.returncode == EXIT_CONFIG
    assert "REAPER_SLACK_BOT_TOKEN: cannot read the file" in result.stderr
    assert "REAPER_GITHUB_TOKN: unknown secret file; did you mean REAPER_GITHUB_TOKEN?" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert GITHUB_TOKEN not in result.stdout + result.stderr
    assert sim.requests == []


def test_a_token_with_a_trailing_newline_works(sim: Simulator, tmp_path: Path) -> None:
    """`REAPER_GITHUB_TOKEN=$(cat file)` style newlines are stripped; the token is sent as meant."""
    env = env_for(sim, tmp_path, GITHUB_TOKEN=f" {GITHUB_TOKEN}\n")
    result = run(["once"], env)
    assert result.returncode == 0, result.stderr
    sent = {r.headers.get("authorization") for r in sim.requests if r.path.startswith("/orgs/")}
    assert sent == {f"Bearer {GITHUB_TOKEN}"}
