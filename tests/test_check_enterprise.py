"""`reaper check` with REAPER_GITHUB_ENTERPRISE: a line for it, FAIL on a wrong kind of token."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reaper.simulator import Simulator
from tests.test_cli import env_for, run

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import FakeClock

FINE_GRAINED = "github_pat_11CHECKfineGRAINEDnever0in0output"


def test_enterprise_line_is_ok_with_a_classic_token(sim: Simulator, tmp_path: Path) -> None:
    """With a classic token and an existing enterprise, check shows it ok and exits 0."""
    sim.add_enterprise("octo")
    result = run(["check"], env_for(sim, tmp_path, GITHUB_ENTERPRISE="octo"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[ok] acme: token accepted" in result.stdout
    assert "[ok] enterprise octo: token accepted on its seat endpoints" in result.stdout
    enterprise_reads = [
        r for r in sim.requests if r.path.startswith("/enterprises/") and "/metrics/" not in r.path
    ]
    assert [r.query for r in enterprise_reads] == [{"per_page": ["1"]}]


def test_fine_grained_token_fails_the_enterprise_line(clock: FakeClock, tmp_path: Path) -> None:
    """A fine-grained token passes the org line but fails the enterprise one, never printed."""
    with Simulator(token=FINE_GRAINED, clock=clock) as sim:
        sim.add_org("acme")
        sim.add_enterprise("octo")
        env = env_for(sim, tmp_path, GITHUB_ENTERPRISE="octo", GITHUB_TOKEN=FINE_GRAINED)
        result = run(["check"], env)
        enterprise_reads = [r for r in sim.requests if r.path.startswith("/enterprises/")]
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "[ok] acme: token accepted" in result.stdout
    line = next(x for x in result.stdout.splitlines() if "enterprise octo" in x)
    assert line.startswith("[FAIL] REAPER_GITHUB_TOKEN is a fine-grained personal access token")
    assert "classic personal access token" in line
    assert "manage_billing:copilot" in line
    assert enterprise_reads == []  # refused before asking GitHub
    assert FINE_GRAINED not in output
    assert "not ready" in result.stdout.splitlines()[-1]


def test_enterprise_alone_unknown_slug_fails(sim: Simulator, tmp_path: Path) -> None:
    """Enterprise only (no orgs), a slug GitHub does not know: FAIL naming the variable."""
    env = env_for(sim, tmp_path, GITHUB_ORGS="", GITHUB_ENTERPRISE="nowhere")
    result = run(["check"], env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[FAIL] enterprise nowhere was not found (404)" in result.stdout
    assert "REAPER_GITHUB_ENTERPRISE" in result.stdout
    assert not any(r.path.startswith("/orgs/") for r in sim.requests)
