"""The writer lock: at most one process runs a cycle (or a migration) on one state store.

The lock must die with its holder, so a killed pod never blocks the next one:

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) taken on a dedicated
  connection that stays open while the lock is held. The server drops it when that session
  ends, however the process ended.
- SQLite: an exclusive ``flock`` on a sibling file ``<database>.lock``. SQLite's own write
  lock cannot serve: held across a whole cycle it would block the store's own writes on its
  other connections. The kernel drops a ``flock`` when the process dies. (A file on a
  network filesystem may not honour ``flock``; keep SQLite on a local or block volume.)
- ``:memory:``: one process by definition, no lock.

Asking whether the lock is held (``is_held``) must not disturb a holder: PostgreSQL answers
from ``pg_locks``; for SQLite the probe is a shared ``flock`` taken and dropped at once, so an
acquirer that tries in that instant without waiting sees the lock busy and skips one slot.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import sqlalchemy as sa

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.engine import Connection, Engine

#: Fixed key of the PostgreSQL advisory lock: "reaper" in ASCII, then 0001 (below 2**63).
PG_LOCK_KEY = 0x7265_6170_6572_0001
#: How often a waiting acquirer tries again, seconds.
POLL_SECONDS = 0.1


@dataclass(frozen=True, slots=True)
class LockInfo:
    """Who holds the writer lock and since when (``None``: it has not written its row yet)."""

    holder: str
    acquired_at: datetime | None


def default_holder() -> str:
    """Name this process as a lock holder: ``HOST:PID``."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Mutex(Protocol):
    """An inter-process lock that dies with the process holding it."""

    def try_acquire(self) -> bool:
        """Take the lock if it is free; never blocks."""

    def release(self) -> None:
        """Give the lock back (idempotent)."""

    def is_held(self) -> bool:
        """Whether any process (this one included) holds the lock now."""


def mutex_for(engine: Engine) -> Mutex:
    """The right kind of lock for this engine's database."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return PgAdvisoryMutex(engine)
    if url.get_backend_name() == "sqlite" and url.database not in {None, "", ":memory:"}:
        return FileMutex(Path(f"{url.database}.lock"))
    return NoMutex()


def acquire(mutex: Mutex, wait: float, *, sleep: float = POLL_SECONDS) -> bool:
    """Take ``mutex``, trying again for up to ``wait`` seconds; ``False`` if it stayed busy."""
    deadline = time.monotonic() + max(wait, 0.0)
    while not mutex.try_acquire():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(sleep, left))
    return True


class PgAdvisoryMutex:
    """A session-level PostgreSQL advisory lock on its own connection."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Connection | None = None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; never blocks."""
        if self._conn is not None:
            return True
        conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": PG_LOCK_KEY})
            if got.scalar_one():
                self._conn = conn
                return True
        except BaseException:
            conn.invalidate()
            conn.close()
            raise
        conn.close()
        return False

    def release(self) -> None:
        """Unlock, then discard the connection so its session (and any lock) surely ends."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": PG_LOCK_KEY})
        except sa.exc.SQLAlchemyError:
            pass  # the connection is discarded below, which ends the session and its lock
        finally:
            conn.invalidate()
            conn.close()

    def is_held(self) -> bool:
        """Whether any session of this database holds the advisory lock (from ``pg_locks``)."""
        query = sa.text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid::bigint = :hi AND objid::bigint = :lo AND objsubid = 1"
        )
        params = {"hi": PG_LOCK_KEY >> 32, "lo": PG_LOCK_KEY & 0xFFFF_FFFF}
        with self._engine.connect() as conn:
            return bool(conn.execute(query, params).scalar_one())


class FileMutex:
    """An exclusive ``flock`` on a file beside the SQLite database."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def _open(self) -> int:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)

    def try_acquire(self) -> bool:
        """Take the lock if it is free; never blocks."""
        if self._fd is not None:
            return True
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        """Unlock and close; the file stays (removing it would let two holders lock two inodes)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def is_held(self) -> bool:
        """Whether any process holds the file lock: a shared lock cannot be had then."""
        if not self._path.exists():
            return False
        fd = os.open(self._path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)  # closing drops the probe's shared lock
        return False


class NoMutex:
    """An in-memory database belongs to one process: always free, never held."""

    def try_acquire(self) -> bool:
        """Always succeeds."""
        return True

    def release(self) -> None:
        """Nothing to give back."""

    def is_held(self) -> bool:
        """Never held by anyone else."""
        return False
