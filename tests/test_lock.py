"""The writer lock between real processes, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import select
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from reaper.store import LockInfo, SqlStore
from reaper.store.schema import lock_table
from tests.postgres import postgres_url_fixture, state_url_fixture  # noqa: F401

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# Takes the lock as argv[2] (waiting argv[3] seconds), says "held" or "busy", and keeps it
# until its stdin closes or it is killed.
HOLD = """
import sys
from reaper.store import SqlStore
store = SqlStore(sys.argv[1])
with store.lock(sys.argv[2], wait=float(sys.argv[3])) as held:
    print("held" if held else "busy", flush=True)
    if held:
        sys.stdin.read()
store.close()
"""


@pytest.fixture
def store(state_url: str) -> Iterator[SqlStore]:
    """A migrated store on both engines, its lock rows stamped with a fixed time."""
    opened = SqlStore(state_url, clock=lambda: NOW)
    yield opened
    opened.close()


@pytest.fixture
def spawn(state_url: str) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start lock-holding processes on the same store; kill any left at the end."""
    started: list[subprocess.Popen[str]] = []

    def start(holder: str, wait: float = 0.0) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-c", HOLD, state_url, holder, str(wait)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def first_line(process: subprocess.Popen[str], timeout: float = 60) -> str:
    """The first line the process prints, or fail after ``timeout`` seconds."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    assert ready, f"no answer within {timeout} s"
    return process.stdout.readline().strip()


def eventually(check: Callable[[], bool], timeout: float = 10) -> bool:
    """Poll ``check`` until it holds, for at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_second_process_does_not_get_the_lock(
    store: SqlStore, spawn: Callable[..., subprocess.Popen[str]]
) -> None:
    """While one process holds the lock, another gets False, and check sees the holder."""
    holder = spawn("host-a:1")
    assert first_line(holder) == "held"
    contender = spawn("host-b:2")
    assert first_line(contender) == "busy"
    assert contender.wait(timeout=30) == 0
    info = store.lock_holder()
    assert info is not None
    assert info.holder == "host-a:1"
    assert info.acquired_at is not None
    assert info.acquired_at.tzinfo is not None
    with store.lock("host-c:3") as held:
        assert held is False


def test_killing_the_holder_frees_the_lock_at_once(
    store: SqlStore, spawn: Callable[..., subprocess.Popen[str]]
) -> None:
    """SIGKILL of the holder frees the lock; its leftover row is not reported as a holder."""
    holder = spawn("host-a:1")
    assert first_line(holder) == "held"
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    assert eventually(lambda: store.lock_holder() is None)
    with store._engine.connect() as conn:
        stale = conn.execute(sa.select(lock_table.c.holder)).scalars().all()
    assert stale == ["host-a:1"]  # the killed process could not remove its row
    with store.lock("host-b:2") as held:
        assert held is True
        assert store.lock_holder() == LockInfo("host-b:2", NOW)


def test_a_waiting_process_gets_the_lock_when_the_holder_lets_go(
    store: SqlStore, spawn: Callable[..., subprocess.Popen[str]]
) -> None:
    """A contender that may wait takes the lock as soon as the holder releases it."""
    holder = spawn("host-a:1")
    assert first_line(holder) == "held"
    waiter = spawn("host-b:2", wait=60)
    holder.communicate(input="", timeout=30)  # closing stdin lets the holder finish
    assert holder.returncode == 0
    assert first_line(waiter) == "held"
    assert eventually(lambda: (store.lock_holder() or LockInfo("", None)).holder == "host-b:2")


def test_a_released_lock_is_free_and_leaves_no_row(store: SqlStore) -> None:
    """Leaving the lock's block releases it and removes the holder's row."""
    with store.lock("host-a:1") as held:
        assert held is True
        assert store.lock_holder() == LockInfo("host-a:1", NOW)
    assert store.lock_holder() is None
    with store._engine.connect() as conn:
        assert conn.execute(sa.select(lock_table)).all() == []
    with store.lock("host-b:2") as again:
        assert again is True


def test_the_lock_is_released_when_the_block_raises(store: SqlStore) -> None:
    """An exception inside the locked block still releases the lock."""
    with pytest.raises(RuntimeError, match="boom"), store.lock("host-a:1"):
        raise RuntimeError("boom")
    assert store.lock_holder() is None


def test_sqlite_locks_a_file_beside_the_database(tmp_path: Path) -> None:
    """On SQLite the lock is a file named after the database, next to it."""
    store = SqlStore(f"sqlite:///{tmp_path / 'reaper.db'}")
    with store.lock("host-a:1") as held:
        assert held
        assert (tmp_path / "reaper.db.lock").exists()
    store.close()


def test_an_in_memory_store_needs_no_lock() -> None:
    """An in-memory database belongs to one process: the lock is always granted."""
    store = SqlStore("sqlite://")
    with store.lock("host-a:1") as held:
        assert held is True
    assert store.lock_holder() is None
    store.close()
