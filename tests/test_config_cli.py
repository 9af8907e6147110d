"""A strict configuration through the real command line: exit 2, the variable named, no trace."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from tests.conftest import GITHUB_TOKEN

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator

REAPER = [sys.executable, "-m", "reaper"]
EXIT_CONFIG = 2


def reaper(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*REAPER, command], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def env_for(sim: Simulator, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REAPER_")}
    env.update(
        {
            "REAPER_GITHUB_TOKEN": GITHUB_TOKEN,
            "REAPER_GITHUB_API_URL": sim.github_url,
            "REAPER_GITHUB_ORGS": "acme",
            "REAPER_SLACK_WEBHOOK_URL": sim.slack_webhook_url,
            "REAPER_STATE_URL": f"sqlite:///{tmp_path / 'state.db'}",
            "REAPER_SECRETS_DIR": str(tmp_path / "no-secrets"),
            "REAPER_LOG_FORMAT": "json",
        }
    )
    env.update({f"REAPER_{k}": v for k, v in extra.items()})
    return env


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
    result = reaper(command, env_for(sim, tmp_path, **extra))
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
    result = reaper("check", env)
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
    env = env_for(sim, tmp_path, GITHUB_TOKEN=f" {GITHUB_TOKEN}\n", GITHUB_MAX_ATTEMPTS="1")
    result = reaper("once", env)
    assert result.returncode == 0, result.stderr
    sent = {r.headers.get("authorization") for r in sim.requests if r.path.startswith("/orgs/")}
    assert sent == {f"Bearer {GITHUB_TOKEN}"}
