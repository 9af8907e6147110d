"""What people are told of cycle-end timing: `reaper report`, the direct message, bad settings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from reaper.config.settings import load_settings
from reaper.core.timing import SAVES
from reaper.errors import ConfigError
from reaper.report import Entry
from reaper.slack.dm_text import flagged_message
from tests.conftest import GITHUB_TOKEN, FakeClock
from tests.harness import Reaper, idle_seat
from tests.test_cli import env_for, run

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator


def test_reaper_report_shows_the_planned_date(sim: Simulator, tmp_path: Path) -> None:
    """`reaper report` lists a due person waiting for the cycle end with the planned date."""
    now = datetime.now(UTC)
    clock = FakeClock(now - timedelta(days=20))
    idle_seat(sim, clock, "idle-ida")
    Reaper(sim, clock, tmp_path).run()  # flagged and warned 20 days ago: due 13 days ago
    soon = now.date() + timedelta(days=15)
    day = soon.day if soon.day <= 28 else 1  # the cycle starts 15 to 18 days from today
    cycle = soon if day == soon.day else date(soon.year + soon.month // 12, soon.month % 12 + 1, 1)
    env = env_for(
        sim,
        tmp_path,
        CANCEL_TIMING="cycle_end",
        BILLING_CYCLE_DAY=str(day),
        SCHEDULE="0 9 * * *",
        DRY_RUN="false",
    )
    result = run(["report", "--format", "table"], env)
    assert result.returncode == 0, result.stderr
    planned = (cycle - timedelta(days=2)).isoformat()
    assert "Waiting for the cycle end (1):" in result.stdout
    waiting = result.stdout.split("Waiting for the cycle end (1):")[1]
    assert "idle-ida" in waiting
    assert planned in waiting
    assert not [r for r in sim.requests if r.method == "DELETE"]


def test_the_direct_message_says_when_and_why() -> None:
    """A warning timed to the cycle end names the date and that it saves the next month."""
    now = datetime(2026, 5, 27, 9, 0, tzinfo=UTC)
    entry = Entry(
        "acme",
        "idle-ida",
        f"cancels on 2026-06-29, {SAVES}",
        last_activity_at=now - timedelta(days=45),
        idle_days=45,
        due_at=datetime(2026, 6, 29, 9, 0, tzinfo=UTC),
    )
    text = str(flagged_message(entry, now, "#admins"))
    assert "released on 2026-06-29" in text
    assert "cancels on 2026-06-29, the last run that still saves the next month's charge" in text


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("REAPER_CANCEL_TIMING", "later"),
        ("REAPER_BILLING_CYCLE_DAY", "31"),
        ("REAPER_BILLING_CYCLE_DAY", "0"),
        ("REAPER_CYCLE_MARGIN_DAYS", "-1"),
    ],
)
def test_bad_timing_settings_are_named(
    clean_env: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    """A timing setting out of range stops start-up with a message naming the variable."""
    clean_env.setenv("REAPER_GITHUB_TOKEN", GITHUB_TOKEN)
    clean_env.setenv("REAPER_GITHUB_ORGS", "acme")
    clean_env.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable):
        load_settings()


def test_bad_timing_setting_exits_2_without_a_traceback(sim: Simulator, tmp_path: Path) -> None:
    """The real CLI refuses REAPER_CANCEL_TIMING=soon with exit 2 and no traceback."""
    result = run(["once"], env_for(sim, tmp_path, CANCEL_TIMING="soon"))
    assert result.returncode == 2
    assert "REAPER_CANCEL_TIMING: Input should be 'due' or 'cycle_end'" in result.stderr
    assert "Traceback" not in result.stderr
