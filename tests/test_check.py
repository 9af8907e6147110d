"""`reaper check`: a checklist of everything the reaper needs, exit 0 only when all is ready."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reaper.simulator import Fault
from tests.conftest import SLACK_BOT_TOKEN
from tests.test_cli import env_for, run

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator


def test_ready_when_everything_answers(sim: Simulator, tmp_path: Path) -> None:
    """With a good token, a cancellable org, Slack and a store, every line is ok and exit is 0."""
    result = run(["check"], env_for(sim, tmp_path))
    assert result.returncode == 0, result.stdout
    assert "FAIL" not in result.stdout
    assert "[ok] acme: token accepted" in result.stdout
    assert "DRY RUN" in result.stdout
    assert sim.slack_messages == []  # the webhook probe posts nothing


def test_each_problem_is_a_failed_line(sim: Simulator, tmp_path: Path) -> None:
    """A bad org, an org that assigns all members, a refused bot token and a dead store all FAIL."""
    sim.add_org("everyone", seat_management_setting="assign_all")
    env = env_for(
        sim,
        tmp_path,
        GITHUB_ORGS="acme,everyone,nowhere",
        SLACK_BOT_TOKEN="xoxb-wrong",
        SLACK_CHANNEL="C1",
        SLACK_API_URL=sim.slack_api_url,
        STATE_URL="postgresql://nobody@127.0.0.1:1/none",
    )
    result = run(["check"], env)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith("[ok] acme") for line in lines)
    assert any(line.startswith("[FAIL] everyone: every member gets a seat") for line in lines)
    assert any(line.startswith("[FAIL] nowhere was not found") for line in lines)
    assert any("invalid_auth" in line and line.startswith("[FAIL]") for line in lines)
    assert any("state store" in line and line.startswith("[FAIL]") for line in lines)
    assert "not ready" in lines[-1]


def test_bad_token_is_named(sim: Simulator, tmp_path: Path) -> None:
    """A token GitHub refuses is reported with the variable to fix."""
    sim.inject(
        Fault(path="^/orgs/acme/copilot/billing$", status=401, body={"message": "Bad credentials"})
    )
    env = env_for(
        sim,
        tmp_path,
        SLACK_BOT_TOKEN=SLACK_BOT_TOKEN,
        SLACK_CHANNEL="C1",
        SLACK_API_URL=sim.slack_api_url,
    )
    result = run(["check"], env)
    assert result.returncode == 1
    assert (
        "[FAIL] GitHub refused the token for acme (401): check REAPER_GITHUB_TOKEN" in result.stdout
    )
    assert "[ok] Slack bot token accepted" in result.stdout


def test_app_token_is_checked_with_socket_mode(sim: Simulator, tmp_path: Path) -> None:
    """An app token Slack accepts is an ok line; one it refuses FAILs, naming the variable."""
    env = env_for(
        sim,
        tmp_path,
        SLACK_BOT_TOKEN=SLACK_BOT_TOKEN,
        SLACK_CHANNEL="C1",
        SLACK_API_URL=sim.slack_api_url,
        SLACK_APP_TOKEN=sim.slack_app_token,
    )
    ok = run(["check"], env)
    assert ok.returncode == 0, ok.stdout
    assert "[ok] Slack app token accepted" in ok.stdout
    refused = run(["check"], {**env, "REAPER_SLACK_APP_TOKEN": "xapp-1-wrong"})
    assert refused.returncode == 1
    line = next(x for x in refused.stdout.splitlines() if "REAPER_SLACK_APP_TOKEN" in x)
    assert line.startswith("[FAIL]")
    assert "invalid_auth" in line
    assert "xapp-1-wrong" not in refused.stdout
