"""The state store on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from reaper.core.domain import Flag
from reaper.errors import StateStoreError
from reaper.store import AuditEntry, CancelIntent, Exemption, SqlStore
from reaper.store.schema import intents_table
from tests.postgres import postgres_url_fixture, state_url_fixture  # noqa: F401

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
def store(state_url: str) -> Iterator[SqlStore]:
    """The same store on both engines."""
    opened = SqlStore(state_url)
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


def test_cancel_intents_stay_open_until_closed_with_an_outcome(store: SqlStore) -> None:
    """Opened intents are listed oldest first until a commit resolves them with an outcome."""
    later = CancelIntent("acme", "bob", NOW + timedelta(minutes=1))
    first = CancelIntent("acme", "alice", NOW)
    other = CancelIntent("other", "carol", NOW + timedelta(minutes=2))
    store.commit(open_intents=[later, first, other])
    assert store.unresolved_intents() == [first, later, other]
    assert store.unresolved_intents("acme") == [first, later]
    store.commit(close_intents=[("acme", "alice", "cancelled")], close_at=NOW + DAY)
    assert store.unresolved_intents() == [later, other]
    with store._engine.connect() as conn:
        row = conn.execute(sa.select(intents_table).where(intents_table.c.login == "alice")).one()
    assert (row.outcome, row.resolved_at) == ("cancelled", NOW + DAY)


def test_closing_settles_every_open_intent_of_the_user_before_new_ones_open(
    store: SqlStore,
) -> None:
    """One commit can settle a user's old intents and open a fresh one for the same user."""
    store.commit(open_intents=[CancelIntent("acme", "alice", NOW)])
    store.commit(open_intents=[CancelIntent("acme", "alice", NOW + DAY)])
    again = CancelIntent("acme", "alice", NOW + 2 * DAY)
    store.commit(
        open_intents=[again], close_intents=[("acme", "alice", "failed")], close_at=NOW + 2 * DAY
    )
    assert store.unresolved_intents() == [again]


def test_intents_commit_with_flags_and_audit_or_not_at_all(store: SqlStore) -> None:
    """Intents, scans, flags and audit entries share one transaction: a failure keeps none."""
    store.commit(add=[a_flag("alice")])
    with pytest.raises(StateStoreError):
        store.commit(
            add=[a_flag("alice")],  # a duplicate: the whole commit fails
            audit=[AuditEntry(NOW, "acme", "alice", "cancel.intent", "due")],
            open_intents=[CancelIntent("acme", "alice", NOW)],
            scans=[("acme", 10, NOW)],
        )
    assert store.unresolved_intents() == []
    assert store.last_scan("acme") is None
    assert store.audit_log() == []


def test_closing_intents_needs_a_time(store: SqlStore) -> None:
    """Closing intents without close_at is a programming error, refused before any write."""
    store.commit(open_intents=[CancelIntent("acme", "alice", NOW)])
    with pytest.raises(ValueError, match="close_at"):
        store.commit(close_intents=[("acme", "alice", "cancelled")])
    assert store.unresolved_intents() == [CancelIntent("acme", "alice", NOW)]


def test_last_scan_keeps_only_the_latest_complete_scan(store: SqlStore) -> None:
    """Each recorded scan replaces the org's previous one; other orgs are untouched."""
    assert store.last_scan("acme") is None
    store.commit(scans=[("acme", 120, NOW), ("other", 5, NOW)])
    store.commit(scans=[("acme", 118, NOW + DAY)])
    assert store.last_scan("acme") == (118, NOW + DAY)
    assert store.last_scan("other") == (5, NOW)


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


def test_flags_of_finds_a_person_in_every_scope_whatever_the_case(store: SqlStore) -> None:
    """flags_of lists one login's flags in every org and enterprise, case-insensitively."""
    store.commit(
        add=[
            a_flag("Alice"),
            a_flag("alice", org="enterprise:big"),
            a_flag("alicia"),
            a_flag("bob", org="other"),
        ]
    )
    assert store.flags_of("ALICE") == [a_flag("Alice"), a_flag("alice", org="enterprise:big")]
    assert store.flags_of("nobody") == []


def test_exemptions_run_until_their_date_and_the_latest_replaces(store: SqlStore) -> None:
    """An exemption counts while its end is ahead; a new one for the same person replaces it."""
    first = Exemption("Alice", NOW + 30 * DAY, "back from leave", "root", NOW)
    other = Exemption("bob", NOW + DAY, "asked to keep it", "U123", NOW)
    store.commit(exempt=[first, other])
    assert store.exemptions(NOW) == {"alice": first, "bob": other}
    assert store.exemptions(NOW + DAY) == {"alice": first}  # bob's ends exactly then
    again = Exemption("ALICE", NOW + 40 * DAY, "again", "admin", NOW + 10 * DAY)
    store.commit(exempt=[again])
    assert store.exemptions(NOW + 35 * DAY) == {"alice": again}


def test_exemptions_commit_with_flags_and_audit_or_not_at_all(store: SqlStore) -> None:
    """An exemption is written in the commit's transaction: a failing commit keeps none."""
    store.commit(add=[a_flag("alice")])
    exemption = Exemption("alice", NOW + DAY, "reinstated", "root", NOW)
    with pytest.raises(StateStoreError):
        store.commit(add=[a_flag("alice")], exempt=[exemption])  # a duplicate flag
    assert store.exemptions(NOW) == {}
    store.commit(
        remove=store.flags_of("alice"),
        audit=[AuditEntry(NOW, "acme", "alice", "seat.reinstated", "asked by root")],
        exempt=[exemption],
    )
    assert store.all_flags() == []
    assert store.exemptions(NOW) == {"alice": exemption}


def test_exemption_text_is_scrubbed_of_secrets(store: SqlStore) -> None:
    """Who asked and why are stored without anything shaped like a token."""
    token = "ghp_" + "S" * 36
    store.commit(exempt=[Exemption("alice", NOW + DAY, f"see {token}", f"bot {token}", NOW)])
    stored = store.exemptions(NOW)["alice"]
    assert token not in stored.reason + stored.by
    assert stored.reason.startswith("see ")


def test_audit_log_filters_by_person_time_and_count(store: SqlStore) -> None:
    """audit_log selects one login case-insensitively, entries since a moment, the first N."""
    entries = [
        AuditEntry(NOW, "acme", "Alice", "seat.flagged", "idle 70 days"),
        AuditEntry(NOW + DAY, "other", None, "scan.incomplete", "503"),
        AuditEntry(NOW + 7 * DAY, "enterprise:big", "alice", "seat.cancelled", "due"),
        AuditEntry(NOW + 8 * DAY, "acme", "bob", "seat.flagged", "idle"),
    ]
    store.commit(audit=entries)
    assert store.audit_log(login="ALICE") == [entries[0], entries[2]]
    assert store.audit_log(since=NOW + DAY) == entries[1:]
    assert store.audit_log(login="alice", since=NOW + DAY) == [entries[2]]
    assert store.audit_log(org="acme", limit=1) == [entries[0]]
    assert store.audit_log(limit=2) == entries[:2]
    assert store.audit_log() == entries
