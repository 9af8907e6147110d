"""Bring the schema to the newest revision with alembic, under the writer lock.

No alembic.ini is needed: the ``Config`` is built here and the scripts ship inside the
package (``reaper/store/migrations``). A database already at the head is left alone without
taking the lock, so a running cycle never delays a start. Otherwise the lock is taken
(waiting up to ``MIGRATION_WAIT_SECONDS``) and the upgrade runs in one transaction, so two
processes starting at once on a new database never both create its tables.

Databases made before migrations existed (tables created by ``create_all``, no
``alembic_version``) need no stamping: revision 0001 creates only the tables that are
missing, so the upgrade adopts them with their rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from reaper.errors import StateStoreError
from reaper.logs import get_logger
from reaper.store.lock import acquire, mutex_for
from reaper.store.schema import lock_table

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection, Engine

log = get_logger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
#: The newest revision in ``migrations/versions``: raise it with every new revision (a test
#: checks it against the scripts). Known here so a start at head never imports alembic.
HEAD_REVISION = "0007"
#: How long a start waits for another process's lock before giving up on the upgrade.
MIGRATION_WAIT_SECONDS = 60.0


def alembic_config(connection: Connection | None = None) -> Config:
    """An alembic ``Config`` for the packaged scripts, optionally bound to a connection."""
    # alembic (with mako and pygments) takes about half a second to import: only an upgrade
    # needs it, so it is imported here rather than at every start.
    from alembic.config import Config  # noqa: PLC0415

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def script_head() -> str | None:
    """The newest revision as the packaged scripts define it (read with alembic)."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415 (see alembic_config)

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at; ``None`` when it was never migrated."""
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def upgrade_to_head(engine: Engine, *, wait: float = MIGRATION_WAIT_SECONDS) -> None:
    """Upgrade the schema to the head revision unless it is there already.

    Raises ``StateStoreError`` naming the holder when the writer lock stays busy for ``wait``
    seconds. Database errors propagate as SQLAlchemy errors for the caller to translate.
    """
    with engine.connect() as conn:
        if current_revision(conn) == HEAD_REVISION:
            return
    mutex = mutex_for(engine)
    if not acquire(mutex, wait):
        raise StateStoreError(
            f"the schema needs upgrading to revision {HEAD_REVISION}, but the writer lock "
            f"stayed held by {_holder(engine)} for {wait:g} s: try again when it is free"
        )
    try:
        with engine.begin() as conn:
            before = current_revision(conn)
            if before == HEAD_REVISION:
                return  # another process upgraded it while we waited
            legacy = before is None and sa.inspect(conn).has_table("flags")
            from alembic import command  # noqa: PLC0415 (see alembic_config)
            from alembic.util import CommandError  # noqa: PLC0415

            try:
                command.upgrade(alembic_config(conn), "head")
            except CommandError:
                raise StateStoreError(
                    f"the schema is at revision {before}, which this version of the reaper "
                    f"does not know (its newest is {HEAD_REVISION}): was the database made by "
                    "a newer version?"
                ) from None
        log.info(
            "store.schema_upgraded",
            from_revision=before or ("create_all" if legacy else "empty"),
            to_revision=HEAD_REVISION,
        )
    finally:
        mutex.release()


def _holder(engine: Engine) -> str:
    """Who the lock's table says holds it, for the error message."""
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table(lock_table.name):
                return "another process"
            row = conn.execute(sa.select(lock_table.c.holder)).first()
    except sa.exc.SQLAlchemyError:
        return "another process"
    return "another process" if row is None else str(row.holder)
