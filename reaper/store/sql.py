"""The state store: flags, audit log, intents, scans, exemptions in SQL (SQLite or PostgreSQL).

SQLAlchemy Core keeps one set of queries for both engines; the schema is brought to the
newest revision by alembic on first use (``reaper.store.engine``). Every change of one step
goes in one transaction (``commit``, see ``reaper.store.writes``), so a crash leaves either
the state before the step or the state after it. ``lock`` makes this process the only writer
(``reaper.store.writer``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING

import sqlalchemy as sa

from reaper.core.domain import Flag
from reaper.store.cycles import read_cycles, write_cycles
from reaper.store.engine import normalise_url, open_engine, transaction
from reaper.store.migrate import MIGRATION_WAIT_SECONDS
from reaper.store.records import AuditEntry, CancelIntent, Exemption
from reaper.store.schema import (
    audit_table,
    exemptions_table,
    flags_table,
    grant_scopes_table,
    intents_table,
    scans_table,
)
from reaper.store.team_reinstates import TeamReinstates
from reaper.store.teams import TeamLedger
from reaper.store.writer import hold_writer_lock, writer_lock_holder
from reaper.store.writes import StepChanges, mark_warned

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from contextlib import AbstractContextManager
    from datetime import date, timedelta

    from sqlalchemy.engine import Connection

    from reaper.store.lock import LockInfo
    from reaper.store.teams import TeamRemoval

__all__ = ["SqlStore", "normalise_url"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SqlStore:
    """Flags, audit log, cancel intents, scans and exemptions behind one SQLAlchemy engine.

    ``clock`` stamps only the lock's display row (``reaper_lock.acquired_at``);
    ``migration_wait`` bounds the wait for another process's lock when the schema is behind.
    """

    def __init__(
        self,
        url: str,
        *,
        clock: Callable[[], datetime] = _utc_now,
        migration_wait: float = MIGRATION_WAIT_SECONDS,
    ) -> None:
        self._clock = clock
        self._engine = open_engine(url, migration_wait=migration_wait)

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

    def flags_of(self, login: str) -> list[Flag]:
        """Every flag of one person (login compared case-insensitively), in any scope."""
        query = (
            sa.select(flags_table)
            .where(sa.func.lower(flags_table.c.login) == login.lower())
            .order_by(flags_table.c.org, flags_table.c.login)
        )
        with self._connect() as conn:
            rows = conn.execute(query).all()
        return [Flag(**row._asdict()) for row in rows]

    def exemptions(self, now: datetime) -> dict[str, Exemption]:
        """The exemptions still running at ``now`` (``until`` later), keyed by casefolded login."""
        query = sa.select(exemptions_table).where(exemptions_table.c.until > now)
        with self._connect() as conn:
            rows = conn.execute(query).all()
        return {
            row.login.casefold(): Exemption(row.login, row.until, row.reason, row.by, row.at)
            for row in rows
        }

    def commit(
        self,
        *,
        add: Iterable[Flag] = (),
        remove: Iterable[Flag] = (),
        audit: Iterable[AuditEntry] = (),
        open_intents: Iterable[CancelIntent] = (),
        open_removals: Iterable[TeamRemoval] = (),
        close_intents: Iterable[tuple[str, str, str]] = (),
        close_at: datetime | None = None,
        scans: Iterable[tuple[str, int, datetime]] = (),
        exempt: Iterable[Exemption] = (),
        held: Iterable[tuple[str, str]] = (),
        not_held: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Change flags, audit log, cancel and team-removal intents, scans, exemptions at once.

        ``close_intents`` holds (org, login, outcome): every unresolved intent of that user is
        resolved with that outcome at ``close_at``. Closing happens before ``open_intents``
        are inserted, so one commit can settle an old intent and record a new one.
        ``scans`` holds (org, seats, scanned_at) of complete scans; each replaces the org's last.
        ``exempt`` holds exemptions; each replaces the person's (logins compared casefolded).
        ``held`` and ``not_held`` hold (login, scope) pairs where a person now holds, or no
        longer holds, a grant (see ``grant_scopes``).
        """
        changes = StepChanges(
            add=add,
            remove=remove,
            audit=audit,
            open_intents=open_intents,
            open_removals=open_removals,
            close_intents=close_intents,
            close_at=close_at,
            scans=scans,
            exempt=exempt,
            held=held,
            not_held=not_held,
        )
        with self._connect() as conn:
            changes.write(conn)

    @property
    def teams(self) -> TeamLedger:
        """Team removals and learnt team facts (``reaper.store.teams``)."""
        return TeamLedger(self._engine)

    def grant_scopes(self) -> dict[str, frozenset[str]]:
        """Where each person held a grant at the last complete read, case-folded (see 0004).

        Most persons hold the same few sets of scopes: each distinct set is one object.
        """
        table = grant_scopes_table
        shared: dict[frozenset[str], frozenset[str]] = {}
        held: dict[str, frozenset[str]] = {}
        query = sa.select(table.c.login_key, table.c.scope).order_by(table.c.login_key)
        with self._connect() as conn:
            for key, rows in groupby(conn.execute(query), key=itemgetter(0)):
                scopes = frozenset(row[1] for row in rows)
                held[key] = shared.setdefault(scopes, scopes)
        return held

    def billing_cycles(self) -> dict[str, date]:
        """Each scope's stored next billing-cycle date, by case-folded scope (see 0006)."""
        with self._connect() as conn:
            return read_cycles(conn)

    def save_billing_cycles(self, cycles: Mapping[str, date], at: datetime) -> None:
        """Store the next billing-cycle date of each scope given."""
        with self._connect() as conn:
            write_cycles(conn, cycles, at)

    def unresolved_intents(self, org: str | None = None) -> list[CancelIntent]:
        """Cancels sent but not yet confirmed, oldest first (of one org, or of all)."""
        query = (
            sa.select(intents_table.c.org, intents_table.c.login, intents_table.c.requested_at)
            .where(intents_table.c.resolved_at.is_(None))
            .order_by(intents_table.c.requested_at, intents_table.c.id)
        )
        if org is not None:
            query = query.where(intents_table.c.org == org)
        with self._connect() as conn:
            rows = conn.execute(query).all()
        return [CancelIntent(r.org, r.login, r.requested_at) for r in rows]

    def last_scan(self, org: str) -> tuple[int, datetime] | None:
        """(seats, scanned_at) of the org's last complete scan, if any was recorded."""
        query = sa.select(scans_table.c.seats, scans_table.c.scanned_at).where(
            scans_table.c.org == org
        )
        with self._connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else (row.seats, row.scanned_at)

    def mark_warned(self, keys: Iterable[tuple[str, str]], at: datetime, grace: timedelta) -> int:
        """Start the grace period of flags whose warning has just been delivered.

        Only flags never warned before are touched: a warning repeated later never moves a
        due date. Returns how many flags were marked.
        """
        with self._connect() as conn:
            return mark_warned(conn, keys, at, grace)

    def audit_log(
        self,
        *,
        org: str | None = None,
        login: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[AuditEntry]:
        """Return the audit log, oldest first (in the order it was written).

        ``org`` keeps one scope key; ``login`` one person (case-insensitively); ``since``
        the entries at or after that moment; ``limit`` the first that many.
        """
        query = sa.select(audit_table).order_by(audit_table.c.id)
        if org is not None:
            query = query.where(audit_table.c.org == org)
        if login is not None:
            query = query.where(sa.func.lower(audit_table.c.login) == login.lower())
        if since is not None:
            query = query.where(audit_table.c.at >= since)
        if limit is not None:
            query = query.limit(limit)
        with self._connect() as conn:
            rows = conn.execute(query).all()
        return [AuditEntry(r.at, r.org, r.login, r.event, r.reason) for r in rows]

    def team_reinstates(self) -> TeamReinstates:
        """A person's open team removals, and marking them reinstated (``team_reinstates``)."""
        return TeamReinstates(self._connect)

    def lock(self, holder: str, *, wait: float = 0.0) -> AbstractContextManager[bool]:
        """Become the only writer: yield ``True`` once held, ``False`` if it stayed busy.

        Waits up to ``wait`` seconds. While held, ``reaper_lock`` names ``holder`` (e.g.
        ``HOST:PID``, see ``default_holder``); on exit the row goes and the lock is released.
        The lock also ends when the process dies, whatever the row still says.
        """
        return hold_writer_lock(self._engine, holder, wait=wait, clock=self._clock)

    def lock_holder(self) -> LockInfo | None:
        """Who holds the writer lock now; ``None`` when nobody does (a stale row is ignored)."""
        return writer_lock_holder(self._engine)

    def _connect(self) -> AbstractContextManager[Connection]:
        """Open a transaction whose database errors surface as ``StateStoreError``."""
        return transaction(self._engine)
