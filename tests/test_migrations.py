"""Schema migrations with alembic, on a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from reaper.core.domain import Flag
from reaper.errors import StateStoreError
from reaper.slack import ledger
from reaper.slack.ledger import DmLedger
from reaper.store import Exemption, SqlStore, normalise_url
from reaper.store.migrate import HEAD_REVISION, alembic_config, script_head
from reaper.store.schema import audit_table, flags_table, metadata
from tests.postgres import postgres_url_fixture, state_url_fixture  # noqa: F401

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ALL_TABLES = {
    "alembic_version",
    "flags",
    "audit",
    "slack_direct_messages",
    "slack_user_lookups",
    "cancel_intents",
    "org_scans",
    "reaper_lock",
    "exemptions",
    "grant_scopes",
    "team_removals",
    "team_facts",
    "billing_cycles",
    "identities",
}
# Opens the store when the test says go, so two of these start at the same moment.
FIRST_START = """
import sys
from reaper.store import SqlStore
sys.stdin.readline()
SqlStore(sys.argv[1]).close()
print("started", flush=True)
"""


@pytest.fixture
def url(state_url: str) -> str:
    """An empty state store (its directory made, for a SQLite file) on both engines."""
    database = sa.make_url(state_url).database
    if state_url.startswith("sqlite") and database:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    return state_url


def engine_for(url: str) -> sa.Engine:
    return sa.create_engine(normalise_url(url))


def revision(url: str) -> str | None:
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    engine = engine_for(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def application_metadata() -> sa.MetaData:
    """Every table the code queries: the store's and the DM ledger's."""
    combined = sa.MetaData()
    tables = [*metadata.tables.values(), *ledger.metadata.tables.values()]
    for table in [*tables, *ledger.identity_metadata.tables.values()]:
        table.to_metadata(combined)
    return combined


def test_a_fresh_database_is_migrated_to_head(url: str) -> None:
    """Opening the store on an empty database creates every table and records the head."""
    SqlStore(url).close()
    assert revision(url) == HEAD_REVISION == script_head()
    assert tables(url) == ALL_TABLES


def test_the_migrations_build_exactly_the_schema_the_code_queries(url: str) -> None:
    """Alembic finds no difference between the migrated database and the code's tables."""
    SqlStore(url).close()
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, application_metadata())
    finally:
        engine.dispose()
    assert differences == []


@pytest.mark.parametrize("with_dm_tables", [True, False])
def test_a_database_made_by_create_all_is_adopted_with_its_rows(
    url: str, with_dm_tables: bool
) -> None:
    """A pre-migration database (create_all, no alembic_version) is upgraded, rows kept."""
    engine = engine_for(url)
    flag = Flag("acme", "alice", NOW, NOW, warned_at=NOW, due_at=NOW)
    with engine.begin() as conn:
        metadata.create_all(conn, tables=[flags_table, audit_table])
        if with_dm_tables:
            ledger.metadata.create_all(conn)
            conn.execute(
                ledger.dm_table.insert().values(
                    org="acme", login="alice", event="flagged", event_key="k", sent_at=NOW
                )
            )
        conn.execute(
            flags_table.insert().values(
                org="acme",
                login="alice",
                flagged_at=NOW,
                reference_at=NOW,
                warned_at=NOW,
                due_at=NOW,
            )
        )
    engine.dispose()
    assert revision(url) is None

    store = SqlStore(url)
    assert store.load_flags("acme") == {"alice": flag}
    store.close()
    assert revision(url) == HEAD_REVISION
    assert tables(url) == ALL_TABLES
    with DmLedger(url) as dms:
        sent = dms.sent_keys({"acme"})
    assert sent == ({("acme", "alice", "flagged", "k")} if with_dm_tables else set())


def test_the_dm_ledger_alone_migrates_a_fresh_database(url: str) -> None:
    """The DM ledger relies on the migrations, not create_all, even when opened first."""
    with DmLedger(url) as dms:
        assert dms.claim(("acme", "alice", "flagged", "k"), NOW) is True
    assert revision(url) == HEAD_REVISION


def test_a_schema_behind_head_waits_for_the_writer_and_names_it(url: str) -> None:
    """A start that must upgrade while another process holds the lock fails naming the holder."""
    store = SqlStore(url)
    engine = engine_for(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
    engine.dispose()
    with store.lock("host-a:4242") as held:
        assert held
        with pytest.raises(StateStoreError, match="held by host-a:4242"):
            SqlStore(url, migration_wait=0.2)
    store.close()


def test_a_schema_from_a_newer_version_is_a_clear_error(url: str) -> None:
    """A database at a revision this version does not know is refused, not half-upgraded."""
    SqlStore(url).close()
    engine = engine_for(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    with pytest.raises(StateStoreError, match="revision 0099, which this version"):
        SqlStore(url)
    assert revision(url) == "0099"


def test_two_first_starts_at_once_make_one_schema(url: str) -> None:
    """Two processes opening a new database at the same moment both start; one migrates."""
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", FIRST_START, url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for start in starts:
        assert start.stdin is not None
        start.stdin.write("go\n")
        start.stdin.flush()
    outputs = [start.communicate(timeout=120) for start in starts]
    for start, (out, err) in zip(starts, outputs, strict=True):
        assert start.returncode == 0, err
        assert out.rstrip().endswith("started")
    assert sum(out.count("store.schema_upgraded") for out, _ in outputs) == 1
    assert revision(url) == HEAD_REVISION
    assert tables(url) == ALL_TABLES


def test_reopening_at_head_changes_nothing(tmp_path: Path) -> None:
    """A database already at head is opened without upgrading it again."""
    url = f"sqlite:///{tmp_path / 'reaper.db'}"
    SqlStore(url).close()
    result = subprocess.run(
        [sys.executable, "-c", FIRST_START, url],
        input="go\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "store.schema_upgraded" not in result.stdout


def migrate_to(url: str, target: str) -> None:
    """Bring a database to an older revision, as an earlier version of the reaper left it."""
    engine = engine_for(url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), target)
    finally:
        engine.dispose()


def naive(at: datetime) -> datetime:
    return at.replace(tzinfo=None)


def test_upgrading_from_0002_keeps_one_flag_per_person(url: str) -> None:
    """0003 merges a person's flags across orgs, keeping the unwarned or the one due last."""
    migrate_to(url, "0002")
    day = timedelta(days=1)
    rows = [
        # alice: warned in acme and in beta; the one due last (beta) stays
        ("acme", "alice", NOW, NOW - 90 * day, NOW, NOW + 7 * day),
        ("beta", "Alice", NOW, NOW - 80 * day, NOW + day, NOW + 8 * day),
        # bob: warned in acme, not yet warned in beta: the unwarned one stays
        ("acme", "bob", NOW, NOW - 90 * day, NOW, NOW + 7 * day),
        ("beta", "BOB", NOW + day, NOW - 90 * day, None, None),
        ("gamma", "bob", NOW, NOW - 95 * day, NOW, NOW + 9 * day),
        # carol: one flag, untouched
        ("acme", "carol", NOW, NOW - 90 * day, NOW, NOW + 7 * day),
    ]
    engine = engine_for(url)
    with engine.begin() as conn:
        conn.execute(
            flags_table.insert(),
            [
                {
                    "org": org,
                    "login": login,
                    "flagged_at": flagged,
                    "reference_at": reference,
                    "warned_at": warned,
                    "due_at": due,
                }
                for org, login, flagged, reference, warned, due in rows
            ],
        )
    engine.dispose()

    store = SqlStore(url)
    kept = {(f.org, f.login): f for f in store.all_flags()}
    assert kept == {
        ("beta", "Alice"): Flag("beta", "Alice", NOW, NOW - 80 * day, NOW + day, NOW + 8 * day),
        ("beta", "BOB"): Flag("beta", "BOB", NOW + day, NOW - 90 * day, None, None),
        ("acme", "carol"): Flag("acme", "carol", NOW, NOW - 90 * day, NOW, NOW + 7 * day),
    }
    assert store.exemptions(NOW) == {}
    store.close()
    assert revision(url) == HEAD_REVISION
    assert tables(url) == ALL_TABLES


def test_exemptions_are_one_per_person_whatever_the_case(url: str) -> None:
    """The migrated exemptions table keeps one row per login, case-insensitively."""
    store = SqlStore(url)
    until = NOW + timedelta(days=30)
    store.commit(exempt=[Exemption("Dana", until, "back from leave", "admin", NOW)])
    store.commit(exempt=[Exemption("dana", until + timedelta(days=1), "again", "root", NOW)])
    assert store.exemptions(NOW) == {
        "dana": Exemption("dana", until + timedelta(days=1), "again", "root", NOW)
    }
    store.close()
    engine = engine_for(url)
    try:
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(
                sa.text(
                    'INSERT INTO exemptions (login_key, login, until, reason, "by", at)'
                    " VALUES ('dana', 'DANA', :at, 'r', 'b', :at)"
                ),
                {"at": naive(NOW)},
            )
    finally:
        engine.dispose()
