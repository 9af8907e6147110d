"""`reaper audit`: the real command line over a SQLite state store."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from reaper.store import AuditEntry, SqlStore
from reaper.store.schema import audit_table
from tests.conftest import GITHUB_TOKEN, SLACK_BOT_TOKEN
from tests.test_cli import env_for, run

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
ENTRIES = [
    AuditEntry(T, "acme", "Alice", "seat.flagged", "idle 70 days"),
    AuditEntry(T + DAY, "acme", None, "scan.incomplete", "GitHub answered 503"),
    AuditEntry(T + 2 * DAY, "acme", "bob", "seat.flagged", "idle 40 days"),
    AuditEntry(T + 8 * DAY, "enterprise:big", "alice", "seat.cancelled", "due, idle 78 days"),
    AuditEntry(T + 9 * DAY, "acme", "alice", "seat.reinstated", "asked by ann: back from leave"),
]


@pytest.fixture
def env(sim: Simulator, tmp_path: Path) -> dict[str, str]:
    """A configured environment whose state store holds ENTRIES."""
    environment = env_for(sim, tmp_path, GITHUB_ENTERPRISE="big")
    store = SqlStore(environment["REAPER_STATE_URL"])
    store.commit(audit=ENTRIES)
    store.close()
    return environment


def rows_of(fmt: str, text: str) -> list[dict[str, str | None]]:
    if fmt == "json":
        data = json.loads(text)
        assert isinstance(data, list)
        return data
    return list(csv.DictReader(io.StringIO(text)))


def test_the_table_lists_every_event_of_a_person_oldest_first(env: dict[str, str]) -> None:
    """--login shows one person's events in every scope, case-insensitively, oldest first."""
    result = run(["audit", "--login", "ALICE"], env)
    assert result.returncode == 0, result.stderr
    cells = [re.split(r"\s{2,}", line) for line in result.stdout.splitlines()]
    assert cells[0] == ["at (UTC)", "scope", "login", "event", "reason"]
    assert cells[2:] == [
        ["2026-03-02 09:00:00", "acme", "Alice", "seat.flagged", "idle 70 days"],
        ["2026-03-10 09:00:00", "enterprise big", "alice", "seat.cancelled", "due, idle 78 days"],
        [
            "2026-03-11 09:00:00",
            "acme",
            "alice",
            "seat.reinstated",
            "asked by ann: back from leave",
        ],
    ]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_machine_formats_parse_with_every_field(env: dict[str, str], fmt: str) -> None:
    """CSV (with a header row) and JSON (an array of objects) carry every entry and field."""
    result = run(["audit", "--format", fmt], env)
    assert result.returncode == 0, result.stderr
    rows = rows_of(fmt, result.stdout)
    assert [(r["at"], r["scope"], r["login"] or None, r["event"]) for r in rows] == [
        (e.at.isoformat(), e.org.replace("enterprise:", "enterprise "), e.login, e.event)
        for e in ENTRIES
    ]
    assert rows[3]["reason"] == "due, idle 78 days"


@pytest.mark.parametrize(
    ("since", "events"),
    [
        ("2026-03-10", ["seat.cancelled", "seat.reinstated"]),
        ("2026-03-10T09:00:01", ["seat.reinstated"]),
        ("2026-03-10T10:00:00+01:00", ["seat.cancelled", "seat.reinstated"]),
    ],
)
def test_since_takes_a_date_or_a_datetime(
    env: dict[str, str], since: str, events: list[str]
) -> None:
    """--since keeps entries at or after a date (midnight UTC) or an ISO datetime."""
    result = run(["audit", "--since", since, "--login", "alice", "--format", "json"], env)
    assert result.returncode == 0, result.stderr
    assert [row["event"] for row in rows_of("json", result.stdout)] == events


def test_a_bad_date_is_a_usage_error(env: dict[str, str]) -> None:
    """An unreadable --since exits 2 with a message quoting it, without a traceback."""
    result = run(["audit", "--since", "last tuesday"], env)
    assert result.returncode == 2
    assert "'last tuesday'" in result.stderr
    assert "YYYY-MM-DD" in result.stderr
    assert "Traceback" not in result.stderr


def test_audit_reads_while_another_reaper_holds_the_lock(env: dict[str, str]) -> None:
    """Reading the audit log takes no lock: it works while a cycle runs."""
    store = SqlStore(env["REAPER_STATE_URL"])
    with store.lock("busy-host:1") as held:
        assert held
        result = run(["audit", "--format", "csv"], env)
    store.close()
    assert result.returncode == 0, result.stderr
    assert len(rows_of("csv", result.stdout)) == len(ENTRIES)


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_secrets_in_stored_reasons_are_never_printed(env: dict[str, str], fmt: str) -> None:
    """A token in a stored row (written unscrubbed by an older version) never reaches output."""
    store = SqlStore(env["REAPER_STATE_URL"])
    with store._engine.begin() as conn:  # bypass the store's own scrubbing on write
        conn.execute(
            audit_table.insert().values(
                at=T + 10 * DAY,
                org="acme",
                login="carl",
                event="cancel.failed",
                reason=f"GitHub said: bad token {GITHUB_TOKEN}, Slack {SLACK_BOT_TOKEN}",
            )
        )
    store.close()
    result = run(["audit", "--login", "carl", "--format", fmt], env)
    assert result.returncode == 0, result.stderr
    assert "GitHub said: bad token ***" in result.stdout
    for secret in (GITHUB_TOKEN, SLACK_BOT_TOKEN):
        assert secret not in result.stdout + result.stderr


def test_csv_cells_never_start_a_spreadsheet_formula(env: dict[str, str]) -> None:
    """A reason that looks like a formula is quoted so a spreadsheet shows it as text."""
    store = SqlStore(env["REAPER_STATE_URL"])
    store.commit(audit=[AuditEntry(T, "acme", "dan", "seat.flagged", "=HYPERLINK(1)")])
    store.close()
    result = run(["audit", "--login", "dan", "--format", "csv"], env)
    assert rows_of("csv", result.stdout)[0]["reason"] == "'=HYPERLINK(1)"


def test_an_empty_log_says_so(sim: Simulator, tmp_path: Path) -> None:
    """With nothing recorded, the table says so, CSV has its header, JSON is an empty array."""
    env = env_for(sim, tmp_path)
    assert run(["audit"], env).stdout == "no audit entries\n"
    assert run(["audit", "--format", "csv"], env).stdout == "at,scope,login,event,reason,team\n"
    assert json.loads(run(["audit", "--format", "json"], env).stdout) == []
