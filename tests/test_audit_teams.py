"""`reaper audit` shows the team of a team's event, in the table, the CSV and the JSON."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from reaper.store import AuditEntry, SqlStore
from reaper.store.teams import team_audit
from tests.test_cli import env_for, run

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ENTRIES = [
    AuditEntry(T, "acme", "alice", "seat.cancelled", "due, idle 78 days"),
    team_audit(T, "acme", "bob", "team.removed", team="acme/eng-all", why="due, idle 80 days"),
    team_audit(
        T, "enterprise:big", "bob", "team.reinstated", team="ent:all-devs", why="asked by ann: x"
    ),
    AuditEntry(T, "acme", "carl", "team.note", "no team prefix here"),
]


def seeded(sim: Simulator, tmp_path: Path) -> dict[str, str]:
    env = env_for(sim, tmp_path, GITHUB_ENTERPRISE="big")
    store = SqlStore(env["REAPER_STATE_URL"])
    try:
        store.commit(audit=ENTRIES)
    finally:
        store.close()
    return env


def test_the_table_has_a_team_column_when_a_team_was_touched(
    sim: Simulator, tmp_path: Path
) -> None:
    """Team rows show their team after the scope; other rows a dash."""
    result = run(["audit"], seeded(sim, tmp_path))
    assert result.returncode == 0, result.stderr
    cells = [re.split(r"\s{2,}", line) for line in result.stdout.splitlines()]
    assert cells[0] == ["at (UTC)", "scope", "team", "login", "event", "reason"]
    assert [row[1:4] for row in cells[2:]] == [
        ["acme", "-", "alice"],
        ["acme", "acme/eng-all", "bob"],
        ["enterprise big", "ent:all-devs", "bob"],
        ["acme", "-", "carl"],
    ]


def test_csv_and_json_carry_the_team(sim: Simulator, tmp_path: Path) -> None:
    """The CSV's last column and the JSON's "team" field name the team, empty or null elsewhere."""
    env = seeded(sim, tmp_path)
    rows = list(csv.DictReader(io.StringIO(run(["audit", "--format", "csv"], env).stdout)))
    assert [r["team"] for r in rows] == ["", "acme/eng-all", "ent:all-devs", ""]
    data = json.loads(run(["audit", "--format", "json"], env).stdout)
    assert [d["team"] for d in data] == [None, "acme/eng-all", "ent:all-devs", None]
    assert data[1]["reason"] == "team acme/eng-all: due, idle 80 days"
