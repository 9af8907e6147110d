"""`reaper check` and the settings of the usage report, through the real CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.test_cli import env_for, run

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator


def test_check_says_the_report_is_readable(sim: Simulator, tmp_path: Path) -> None:
    """A readable usage report is an ok line with the days it covers."""
    sim.add_enterprise("octo")
    result = run(["check"], env_for(sim, tmp_path, GITHUB_ENTERPRISE="octo"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[ok] acme: usage report readable (" in result.stdout
    assert "[ok] enterprise octo: usage report readable (" in result.stdout


def test_check_says_what_would_enable_the_report(sim: Simulator, tmp_path: Path) -> None:
    """Policy off: a warning with check, naming the policy and the permission to give."""
    sim.usage.set_case("acme", "policy_off")
    result = run(["check"], env_for(sim, tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(x for x in result.stdout.splitlines() if "usage report of acme" in x)
    assert line.startswith("[warn] acme: the usage report of acme answered 403")
    assert '"Copilot usage metrics" policy' in line
    assert "Organization Copilot metrics: read" in line
    assert "read:org" in line


def test_check_fails_an_unreadable_report_with_require(sim: Simulator, tmp_path: Path) -> None:
    """With require, a report that cannot be read fails the check: cancels would be held."""
    sim.usage.set_case("acme", "empty")
    result = run(["check"], env_for(sim, tmp_path, USAGE_REPORT="require"))
    assert result.returncode == 1
    assert "[FAIL] acme: GitHub has no usage report of acme yet (204" in result.stdout


def test_a_typo_in_the_setting_names_the_variable(sim: Simulator, tmp_path: Path) -> None:
    """An invalid REAPER_USAGE_REPORT exits 2 naming the variable, without a traceback."""
    result = run(["check"], env_for(sim, tmp_path, USAGE_REPORT="requir"))
    assert result.returncode == 2
    output = result.stdout + result.stderr
    assert "REAPER_USAGE_REPORT" in output
    assert "Traceback" not in output
    bad_days = run(["check"], env_for(sim, tmp_path, LIGHT_USE_DAYS="29"))
    assert bad_days.returncode == 2
    assert "REAPER_LIGHT_USE_DAYS" in bad_days.stdout + bad_days.stderr
