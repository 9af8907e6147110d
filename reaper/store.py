"""The state store: flags and an append-only audit log in SQL (SQLite file or PostgreSQL).

SQLAlchemy Core keeps one schema and one set of queries for both engines; the schema is
created on first start. Every change of one step goes in one transaction, so a crash
leaves either the state before the step or the state after it.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from reaper.domain import Flag
from reaper.errors import StateStoreError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from sqlalchemy.engine import Connection, Dialect


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timestamps stored as naive UTC (portable) and read back as aware UTC."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        """Store aware datetimes as naive UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the state store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        """Read naive UTC back as aware UTC."""
        return None if value is None else value.replace(tzinfo=UTC)


metadata = sa.MetaData()

flags_table = sa.Table(
    "flags",
    metadata,
    sa.Column("org", sa.String(100), primary_key=True),
    sa.Column("login", sa.String(100), primary_key=True),
    sa.Column("flagged_at", UTCDateTime(), nullable=False),
    sa.Column("reference_at", UTCDateTime(), nullable=False),
    sa.Column("warned_at", UTCDateTime(), nullable=True),
    sa.Column("due_at", UTCDateTime(), nullable=True),
)

audit_table = sa.Table(
    "audit",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("at", UTCDateTime(), nullable=False, index=True),
    sa.Column("org", sa.String(100), nullable=False),
    sa.Column("login", sa.String(100), nullable=True),
    sa.Column("event", sa.String(50), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit log: when, where, who, what happened and why."""

    at: datetime
    org: str
    login: str | None
    event: str
    reason: str


def normalise_url(url: str) -> str:
    """Map plain ``postgresql://`` URLs to the psycopg 3 driver we ship."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


class SqlStore:
    """Flags and audit log behind one SQLAlchemy engine."""

    def __init__(self, url: str) -> None:
        url = normalise_url(url)
        try:
            parsed = sa.engine.make_url(url)
            if parsed.get_backend_name() == "sqlite" and parsed.database not in {
                None,
                "",
                ":memory:",
            }:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            self._engine = sa.create_engine(parsed, pool_pre_ping=True)
            with self._engine.begin() as conn:
                metadata.create_all(conn)
        except (SQLAlchemyError, OSError) as exc:
            raise StateStoreError(_describe(exc, url)) from None

    def close(self) -> None:
        """Release every connection."""
        self._engine.dispose()

    def ping(self) -> None:
        """Raise ``StateStoreError`` unless the store answers."""
        with self._connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    def load_flags(self, org: str) -> dict[str, Flag]:
        """Return the flags of ``org``, keyed by login."""
        with self._connect() as conn:
            rows = conn.execute(sa.select(flags_table).where(flags_table.c.org == org)).all()
        return {row.login: Flag(**row._asdict()) for row in rows}

    def all_flags(self) -> list[Flag]:
        """Return every flag of every org."""
        with self._connect() as conn:
            rows = conn.execute(sa.select(flags_table).order_by("org", "login")).all()
        return [Flag(**row._asdict()) for row in rows]

    def commit(
        self,
        *,
        add: Iterable[Flag] = (),
        remove: Iterable[Flag] = (),
        audit: Iterable[AuditEntry] = (),
    ) -> None:
        """Add and remove flags and append audit entries, all in one transaction."""
        added = [_flag_row(flag) for flag in add]
        removed = list(remove)
        entries = [_audit_row(entry) for entry in audit]
        with self._connect() as conn:
            for flag in removed:
                conn.execute(
                    sa.delete(flags_table).where(
                        flags_table.c.org == flag.org, flags_table.c.login == flag.login
                    )
                )
            if added:
                conn.execute(sa.insert(flags_table), added)
            if entries:
                conn.execute(sa.insert(audit_table), entries)

    def mark_warned(self, keys: Iterable[tuple[str, str]], at: datetime, grace: timedelta) -> int:
        """Start the grace period of flags whose warning has just been delivered.

        Only flags never warned before are touched: a warning repeated later never moves a
        due date. Returns how many flags were marked.
        """
        marked = []
        with self._connect() as conn:
            for org, login in keys:
                result = conn.execute(
                    sa.update(flags_table)
                    .where(
                        flags_table.c.org == org,
                        flags_table.c.login == login,
                        flags_table.c.warned_at.is_(None),
                    )
                    .values(warned_at=at, due_at=at + grace)
                )
                if result.rowcount:
                    reason = f"warning delivered, due {(at + grace).date().isoformat()}"
                    marked.append(_audit_row(AuditEntry(at, org, login, "flag.warned", reason)))
            if marked:
                conn.execute(sa.insert(audit_table), marked)
        return len(marked)

    def audit_log(self, *, org: str | None = None, limit: int = 1000) -> list[AuditEntry]:
        """Return the audit log, oldest first."""
        query = sa.select(audit_table).order_by(audit_table.c.id)
        if org is not None:
            query = query.where(audit_table.c.org == org)
        with self._connect() as conn:
            rows = conn.execute(query.limit(limit)).all()
        return [AuditEntry(r.at, r.org, r.login, r.event, r.reason) for r in rows]

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        """Open a transaction whose database errors surface as ``StateStoreError``."""
        try:
            with self._engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StateStoreError(_describe(exc, str(self._engine.url))) from None


def _flag_row(flag: Flag) -> dict[str, Any]:
    return {
        "org": flag.org,
        "login": flag.login,
        "flagged_at": flag.flagged_at,
        "reference_at": flag.reference_at,
        "warned_at": flag.warned_at,
        "due_at": flag.due_at,
    }


def _audit_row(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at,
        "org": entry.org,
        "login": entry.login,
        "event": entry.event,
        "reason": entry.reason[:2000],
    }


def _describe(exc: BaseException, url: str) -> str:
    safe_url = sa.engine.make_url(url).render_as_string(hide_password=True)
    detail = str(getattr(exc, "orig", None) or exc).splitlines()[0][:300]
    return f"state store {safe_url} failed: {detail}"
