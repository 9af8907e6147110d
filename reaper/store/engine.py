"""The store's database: its URL, its engine brought to the newest schema, its transactions.

Database errors surface as ``StateStoreError``, naming the store without its password.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from reaper.errors import StateStoreError
from reaper.store.migrate import upgrade_to_head

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.engine import Connection, Engine


def normalise_url(url: str) -> str:
    """Map plain ``postgresql://`` URLs to the psycopg 3 driver we ship."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def open_engine(url: str, *, migration_wait: float) -> Engine:
    """An engine on ``url`` whose schema alembic has brought to the newest revision.

    A SQLite file's folder is created. ``migration_wait`` bounds the wait for another
    process's lock when the schema is behind. Failing raises ``StateStoreError``.
    """
    url = normalise_url(url)
    try:
        parsed = sa.engine.make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in {
            None,
            "",
            ":memory:",
        }:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, pool_pre_ping=True)
        try:
            upgrade_to_head(engine, wait=migration_wait)
        except BaseException:
            engine.dispose()
            raise
    except (SQLAlchemyError, OSError) as exc:
        raise StateStoreError(describe(exc, url)) from None
    return engine


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """Open a transaction whose database errors surface as ``StateStoreError``."""
    try:
        with engine.begin() as conn:
            yield conn
    except SQLAlchemyError as exc:
        raise StateStoreError(describe(exc, str(engine.url))) from None


def describe(exc: BaseException, url: str) -> str:
    """The message of a store failure: the store's URL without password, the first line."""
    safe_url = sa.engine.make_url(url).render_as_string(hide_password=True)
    detail = str(getattr(exc, "orig", None) or exc).splitlines()[0][:300]
    return f"state store {safe_url} failed: {detail}"
