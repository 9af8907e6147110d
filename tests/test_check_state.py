"""`reaper check` on the state store: who holds the writer lock, and unconfirmed cancels."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from reaper.store import CancelIntent, SqlStore, normalise_url
from reaper.store.schema import lock_table
from tests.test_cli import env_for, run

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_a_free_lock_and_no_pending_cancel_are_ready(sim: Simulator, tmp_path: Path) -> None:
    """On a fresh store the lock is free, nothing is unconfirmed, and the check is ready."""
    result = run(["check"], env_for(sim, tmp_path))
    assert result.returncode == 0, result.stdout
    assert "[ok] lock: free" in result.stdout.splitlines()
    assert "[warn]" not in result.stdout


def test_the_holder_and_unconfirmed_cancels_are_shown_without_failing(
    sim: Simulator, tmp_path: Path
) -> None:
    """A held lock names its holder; unconfirmed cancels are a warning, and the check is ready."""
    env = env_for(sim, tmp_path)
    store = SqlStore(env["REAPER_STATE_URL"], clock=lambda: NOW)
    store.commit(
        open_intents=[CancelIntent("acme", "alice", NOW), CancelIntent("acme", "bob", NOW)]
    )
    with store.lock("host-a:77") as held:
        assert held
        result = run(["check"], env)
    store.close()
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout
    assert "[ok] lock: held by host-a:77 since 2026-03-02 09:00:00 UTC" in lines
    assert (
        "[warn] 2 cancel(s) sent but not yet confirmed: acme/alice, acme/bob;"
        " the next cycle re-reads them"
    ) in lines
    assert lines[-1] == "ready"


def test_a_row_left_by_a_dead_holder_reads_as_free(sim: Simulator, tmp_path: Path) -> None:
    """A lock row whose process is gone (no lock held) is reported as a free lock."""
    env = env_for(sim, tmp_path)
    SqlStore(env["REAPER_STATE_URL"]).close()
    engine = sa.create_engine(normalise_url(env["REAPER_STATE_URL"]))
    with engine.begin() as conn:
        conn.execute(
            lock_table.insert().values(name="writer", holder="gone-host:9", acquired_at=NOW)
        )
    engine.dispose()
    result = run(["check"], env)
    assert "[ok] lock: free" in result.stdout.splitlines()
    assert "gone-host" not in result.stdout
