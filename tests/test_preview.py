"""`reaper report`: a read-only cycle whose report is printed, never posted or stored."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from reaper.store import SqlStore
from tests.conftest import SLACK_BOT_TOKEN, FakeClock
from tests.harness import DAY
from tests.test_cli import env_for, run

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator


@pytest.fixture
def seeded(sim: Simulator) -> Simulator:
    """Two idle seats (one through a team named like a mention) and an active one.

    The command runs on the real clock, so the seats are dated from the real now.
    """
    clock = FakeClock(datetime.now(UTC))
    sim.add_seat("acme", "idle-ian", created_at=clock.now - 400 * DAY, last_activity_at=None)
    sim.add_seat(
        "acme",
        "idle-ivy",
        created_at=clock.now - 400 * DAY,
        last_activity_at=clock.now - 70 * DAY,
        team="<!channel>",
    )
    sim.add_seat("acme", "busy-bea", created_at=clock.now - 400 * DAY, last_activity_at=clock.now)
    return sim


def nothing_sent_or_stored(sim: Simulator, env: dict[str, str]) -> None:
    assert sim.slack_messages == []
    assert not [r for r in sim.requests if r.path.startswith("/slack/")]
    assert {r.method for r in sim.requests} == {"GET"}
    store = SqlStore(env["REAPER_STATE_URL"])
    try:
        assert store.all_flags() == []
        assert store.audit_log() == []
    finally:
        store.close()


def test_json_format_prints_the_report(seeded: Simulator, tmp_path: Path) -> None:
    """--format json prints the report as data, with REAPER_DRY_RUN=false still read-only."""
    env = env_for(seeded, tmp_path, DRY_RUN="false")
    result = run(["report", "--format", "json"], env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["dry_run"] is True
    assert report["totals"]["newly_flagged"] == 2
    assert {e["login"] for e in report["orgs"][0]["flagged"]} == {"idle-ian", "idle-ivy"}
    assert report["savings_per_month_usd"]["due"] == 38
    nothing_sent_or_stored(seeded, env)


def test_table_is_the_default(seeded: Simulator, tmp_path: Path) -> None:
    """Without --format a terminal table with counts, histogram and lists is printed."""
    env = env_for(seeded, tmp_path)
    result = run(["report"], env)
    assert result.returncode == 0, result.stderr
    assert "DRY RUN" in result.stdout
    assert "Would be flagged (2):" in result.stdout
    assert "90+ days" in result.stdout
    assert "idle-ivy" in result.stdout
    nothing_sent_or_stored(seeded, env)


def test_csv_format_lists_every_seat(seeded: Simulator, tmp_path: Path) -> None:
    """--format csv prints one row per listed seat."""
    env = env_for(seeded, tmp_path)
    result = run(["report", "--format", "csv"], env)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert sorted(row["login"] for row in rows) == ["idle-ian", "idle-ivy"]
    nothing_sent_or_stored(seeded, env)


def test_slack_format_prints_escaped_payloads(seeded: Simulator, tmp_path: Path) -> None:
    """--format slack prints the Block Kit payloads (escaped) and the DMs a live run would send."""
    env = env_for(
        seeded,
        tmp_path,
        SLACK_BOT_TOKEN=SLACK_BOT_TOKEN,
        SLACK_CHANNEL="#admins",
        SLACK_API_URL=seeded.slack_api_url,
        SLACK_DM="true",
    )
    del env["REAPER_SLACK_WEBHOOK_URL"]
    result = run(["report", "--format", "slack"], env)
    assert result.returncode == 0, result.stderr
    payloads = json.loads(result.stdout)
    assert payloads["target"] == "chat.postMessage to #admins"
    [message] = payloads["messages"]
    assert message["blocks"][0]["text"]["text"] == "Copilot seats · acme · DRY RUN"
    assert len(payloads["direct_messages_in_a_live_run"]) == 2
    nothing_sent_or_stored(seeded, env)


def test_slack_format_shows_a_webhook_report_in_full(sim: Simulator, tmp_path: Path) -> None:
    """--format slack with a webhook prints the continuation messages that name everyone."""
    now = datetime.now(UTC)
    logins = [f"idle{n:03d}" for n in range(120)]
    for login in logins:
        sim.add_seat("acme", login, created_at=now - 400 * DAY, last_activity_at=None)
    result = run(["report", "--format", "slack"], env_for(sim, tmp_path))
    assert result.returncode == 0, result.stderr
    messages = json.loads(result.stdout)["messages"]
    assert len(messages) > 1
    text = json.dumps(messages)
    assert all(login in text for login in logins)


def test_seat_without_activity_shows_no_activity_recorded(
    seeded: Simulator, tmp_path: Path
) -> None:
    """A seat GitHub reports without activity reads "no activity recorded", never "never used"."""
    env = env_for(seeded, tmp_path)
    slack = run(["report", "--format", "slack"], env)
    table = run(["report"], env)
    data = run(["report", "--format", "json"], env)
    assert (slack.returncode, table.returncode, data.returncode) == (0, 0, 0), slack.stderr
    [message] = json.loads(slack.stdout)["messages"]
    [line] = [x for x in json.dumps(message["blocks"]).split("\\n") if "*idle-ian*" in x]
    assert "no activity recorded (seat 400 days old)" in line
    assert "never" not in (slack.stdout + table.stdout + data.stdout).lower()
    [ian] = [e for e in json.loads(data.stdout)["orgs"][0]["flagged"] if e["login"] == "idle-ian"]
    assert (ian["last_activity_at"], ian["seat_age_days"]) == (None, 400)
    nothing_sent_or_stored(seeded, env)
