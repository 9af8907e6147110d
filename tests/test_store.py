"""The state store on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from reaper.domain import Flag
from reaper.errors import StateStoreError
from reaper.store import AuditEntry, SqlStore

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh database on the local PostgreSQL server, dropped afterwards."""
    name = f"reaper_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.fail(f"PostgreSQL on 127.0.0.1:5432 is not reachable: {exc}")
    yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    """The same store on both engines."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'state' / 'reaper.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    opened = SqlStore(url)
    yield opened
    opened.close()


def a_flag(login: str, org: str = "acme") -> Flag:
    return Flag(org, login, NOW, NOW - timedelta(days=70), warned_at=None, due_at=None)


def test_flags_round_trip_with_aware_times(store: SqlStore) -> None:
    """Flags come back as written, timestamps timezone-aware UTC."""
    store.commit(add=[a_flag("alice"), a_flag("bob", org="other")])
    flags = store.load_flags("acme")
    assert list(flags) == ["alice"]
    assert flags["alice"] == a_flag("alice")
    assert flags["alice"].flagged_at.tzinfo is not None


def test_mark_warned_starts_the_grace_period_once(store: SqlStore) -> None:
    """Marking a flag warned sets its due date, and a later warning never moves it."""
    store.commit(add=[a_flag("alice")])
    assert store.mark_warned([("acme", "alice")], NOW, timedelta(days=7)) == 1
    assert store.mark_warned([("acme", "alice")], NOW + timedelta(days=3), timedelta(days=7)) == 0
    flag = store.load_flags("acme")["alice"]
    assert (flag.warned_at, flag.due_at) == (NOW, NOW + timedelta(days=7))
    assert [e.event for e in store.audit_log()] == ["flag.warned"]


def test_commit_is_all_or_nothing(store: SqlStore) -> None:
    """A failing commit leaves neither its flags nor its audit entries behind."""
    store.commit(add=[a_flag("alice")])
    entry = AuditEntry(NOW, "acme", "bob", "seat.flagged", "idle")
    with pytest.raises(StateStoreError):
        store.commit(add=[a_flag("bob"), a_flag("alice")], audit=[entry])  # alice is a duplicate
    assert list(store.load_flags("acme")) == ["alice"]
    assert store.audit_log() == []


def test_audit_log_is_kept_in_order(store: SqlStore) -> None:
    """Audit entries read back oldest first, filtered by org."""
    entries = [
        AuditEntry(NOW, "acme", "alice", "seat.flagged", "idle 70 days"),
        AuditEntry(NOW, "other", None, "scan.incomplete", "503"),
        AuditEntry(NOW + timedelta(days=7), "acme", "alice", "seat.cancelled", "due"),
    ]
    for entry in entries:
        store.commit(audit=[entry])
    assert store.audit_log() == entries
    assert [e.event for e in store.audit_log(org="acme")] == ["seat.flagged", "seat.cancelled"]


def test_removing_flags(store: SqlStore) -> None:
    """Removed flags are gone; others stay."""
    store.commit(add=[a_flag("alice"), a_flag("bob")])
    store.commit(remove=[a_flag("alice")])
    assert list(store.load_flags("acme")) == ["bob"]


def test_schema_survives_reopening(tmp_path: Path) -> None:
    """Reopening an existing SQLite file keeps its state."""
    url = f"sqlite:///{tmp_path / 'reaper.db'}"
    first = SqlStore(url)
    first.commit(add=[a_flag("alice")])
    first.close()
    second = SqlStore(url)
    assert list(second.load_flags("acme")) == ["alice"]
    second.close()


def test_unreachable_store_is_a_clear_error() -> None:
    """An unreachable database raises StateStoreError without the password."""
    with pytest.raises(StateStoreError) as caught:
        SqlStore("postgresql://reaper:hunter2@127.0.0.1:1/reaper")
    assert "hunter2" not in str(caught.value)
    assert "127.0.0.1" in str(caught.value)
