"""GitHub App settings through the real CLI: exit 2 for bad ones, nothing secret in any output."""

from __future__ import annotations

import os
import re
import subprocess
from typing import TYPE_CHECKING

import pytest

from reaper.simulator import Fault, Simulator
from tests.conftest import GITHUB_TOKEN
from tests.harness import DAY
from tests.test_cli import REAPER, env_for, run

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from reaper.simulator.app_objects import App

APP_ID = "1001"
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.")


@pytest.fixture
def live() -> Iterator[Simulator]:
    """A simulator on the real clock (the CLI dates its JWTs by it), acme with the App."""
    with Simulator(token=GITHUB_TOKEN) as simulator:
        simulator.add_org("acme")
        simulator.apps.add_app(int(APP_ID))
        simulator.apps.install(int(APP_ID), "acme")
        yield simulator


def app_env(sim: Simulator, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = env_for(sim, tmp_path, GITHUB_APP_ID=APP_ID, **extra)
    env.pop("REAPER_GITHUB_TOKEN")
    env["REAPER_GITHUB_APP_PRIVATE_KEY"] = the_app(sim).private_key_pem
    return env


def the_app(sim: Simulator) -> App:
    return sim.apps.apps[int(APP_ID)]


def key_body(sim: Simulator) -> list[str]:
    """The base64 lines of the App's key: none may appear in any output."""
    return [line for line in the_app(sim).private_key_pem.splitlines() if "-----" not in line]


@pytest.mark.parametrize(
    ("drop", "missing"),
    [
        ("REAPER_GITHUB_APP_PRIVATE_KEY", "REAPER_GITHUB_APP_PRIVATE_KEY is required"),
        ("REAPER_GITHUB_APP_ID", "REAPER_GITHUB_APP_ID is required"),
    ],
)
def test_half_an_app_is_exit_2_naming_the_missing_setting(
    live: Simulator, tmp_path: Path, drop: str, missing: str
):
    """An App ID without its key, or a key without its ID: exit 2, the missing one named."""
    env = app_env(live, tmp_path)
    env.pop(drop)
    result = run(["check"], env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert missing in result.stderr
    assert "Traceback" not in result.stderr
    assert live.requests == []


def test_an_unparsable_key_is_exit_2_and_never_echoed(live: Simulator, tmp_path: Path):
    """A damaged key: exit 2 naming REAPER_GITHUB_APP_PRIVATE_KEY; no line of it is printed."""
    env = app_env(live, tmp_path)
    lines = env["REAPER_GITHUB_APP_PRIVATE_KEY"].splitlines()
    env["REAPER_GITHUB_APP_PRIVATE_KEY"] = "\n".join([*lines[:5], *lines[7:]])
    result = run(["check"], env)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "REAPER_GITHUB_APP_PRIVATE_KEY: is not a PEM private key" in result.stderr
    assert [line for line in key_body(live) if line in output] == []
    assert live.requests == []


def test_an_enterprise_with_an_app_and_no_token_is_exit_2(live: Simulator, tmp_path: Path):
    """Enterprise seat endpoints refuse Apps: without REAPER_GITHUB_TOKEN the start stops."""
    result = run(["check"], app_env(live, tmp_path, GITHUB_ENTERPRISE="octo"))
    assert result.returncode == 2
    assert "REAPER_GITHUB_TOKEN is required for REAPER_GITHUB_ENTERPRISE (octo)" in result.stderr


def test_the_key_is_read_from_the_secrets_folder(live: Simulator, tmp_path: Path):
    """REAPER_GITHUB_APP_PRIVATE_KEY as a mounted file: `reaper check` is ready."""
    env = app_env(live, tmp_path)
    folder = tmp_path / "secrets"
    folder.mkdir()
    (folder / "REAPER_GITHUB_APP_PRIVATE_KEY").write_text(env.pop("REAPER_GITHUB_APP_PRIVATE_KEY"))
    env["REAPER_SECRETS_DIR"] = str(folder)
    result = run(["check"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "JWT accepted" in result.stdout
    assert "acme: App installation 50001" in result.stdout


def test_nothing_secret_appears_at_debug(live: Simulator, tmp_path: Path):
    """A live cycle at DEBUG with an App, a token renewed after a 401: no key, JWT or token."""
    for n in range(3):
        live.add_seat("acme", f"idle{n}", created_at=live.apps.clock() - 200 * DAY)
    env = app_env(live, tmp_path, LOG_LEVEL="DEBUG", DRY_RUN="false", GITHUB_MAX_ATTEMPTS="3")
    bad = {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
    live.inject(Fault(path="^/orgs/acme/copilot/billing$", status=401, body=bad))
    first = run(["once"], env)  # the first token is refused once, renewed, the request retried
    second = run(["check"], env)
    output = first.stdout + first.stderr + second.stdout + second.stderr
    assert first.returncode == 0, output
    assert second.returncode == 0, output
    assert live.apps.minted >= 2
    issued = list(live.apps.tokens)
    assert [t for t in issued if t in output or t[:60] in output] == []
    assert [line for line in key_body(live) if line in output] == []
    assert JWT_SHAPE.search(output) is None
    assert "ghs_" not in output
    assert "github.app_token_minted" in output
    assert "github.app_token_refused" in first.stdout + first.stderr


@pytest.mark.parametrize(
    ("args", "variable"),
    [(["--auth", "app"], None), ([], "app"), (["--auth", "app"], "token")],
    ids=["flag", "variable", "flag-wins"],
)
def test_the_demo_runs_with_an_app(args: list[str], variable: str | None) -> None:
    """`reaper demo --auth app` (or REAPER_DEMO_AUTH=app) tells the story with an App."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REAPER_")}
    if variable is not None:
        env["REAPER_DEMO_AUTH"] = variable
    result = subprocess.run(
        [*REAPER, "demo", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Authenticated as the GitHub App copilot-seat-reaper-demo" in result.stdout
    assert "Cancelled" in result.stdout
    assert "ghs_" not in result.stdout + result.stderr
    assert JWT_SHAPE.search(result.stdout + result.stderr) is None


@pytest.mark.parametrize(
    ("args", "variable", "named"),
    [(["--auth", "pat"], None, "--auth"), ([], "pat", "REAPER_DEMO_AUTH")],
    ids=["flag", "variable"],
)
def test_a_bad_demo_auth_is_exit_2_naming_it(
    args: list[str], variable: str | None, named: str
) -> None:
    """An unknown demo authentication, by flag or variable, exits 2 naming it, no traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REAPER_")}
    if variable is not None:
        env["REAPER_DEMO_AUTH"] = variable
    result = subprocess.run(
        [*REAPER, "demo", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert named in result.stderr
    assert "token" in result.stderr
    assert "app" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
