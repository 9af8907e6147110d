"""The writer lock as the store holds it: the mutex of ``reaper.store.lock``, plus a row.

While the lock is held, the ``reaper_lock`` row named ``writer`` says who holds it and since
when (``reaper check`` shows it); the mutex alone decides whether it is held.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from reaper.errors import StateStoreError
from reaper.store.engine import describe, transaction
from reaper.store.lock import LockInfo, acquire, mutex_for
from reaper.store.schema import lock_table

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from datetime import datetime

    from sqlalchemy.engine import Engine

#: The one lock name in ``reaper_lock``.
LOCK_NAME = "writer"


@contextmanager
def hold_writer_lock(
    engine: Engine, holder: str, *, wait: float, clock: Callable[[], datetime]
) -> Iterator[bool]:
    """Yield ``True`` once the lock is held (its row names ``holder``), ``False`` if busy.

    Waits up to ``wait`` seconds; ``clock`` stamps the row. On exit the row goes and the
    lock is released.
    """
    mutex = mutex_for(engine)
    try:
        got = acquire(mutex, wait)
    except (SQLAlchemyError, OSError) as exc:
        raise StateStoreError(describe(exc, str(engine.url))) from None
    if not got:
        yield False
        return
    try:
        with transaction(engine) as conn:
            conn.execute(sa.delete(lock_table).where(lock_table.c.name == LOCK_NAME))
            conn.execute(
                sa.insert(lock_table).values(name=LOCK_NAME, holder=holder, acquired_at=clock())
            )
        yield True
    finally:
        try:
            with transaction(engine) as conn:
                conn.execute(
                    sa.delete(lock_table).where(
                        lock_table.c.name == LOCK_NAME, lock_table.c.holder == holder
                    )
                )
        finally:
            mutex.release()


def writer_lock_holder(engine: Engine) -> LockInfo | None:
    """Who holds the writer lock now; ``None`` when nobody does (a stale row is ignored)."""
    try:
        held = mutex_for(engine).is_held()
    except (SQLAlchemyError, OSError) as exc:
        raise StateStoreError(describe(exc, str(engine.url))) from None
    if not held:
        return None
    with transaction(engine) as conn:
        row = conn.execute(
            sa.select(lock_table.c.holder, lock_table.c.acquired_at).where(
                lock_table.c.name == LOCK_NAME
            )
        ).first()
    return LockInfo("unknown", None) if row is None else LockInfo(row.holder, row.acquired_at)
