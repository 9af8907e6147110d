"""The state store: flags, audit log, intents, scans, exemptions in SQL (SQLite or PostgreSQL).

SQLAlchemy Core keeps one set of queries for both engines; the schema is brought to the
newest revision by alembic on first use (``reaper.store.migrate``). Every change of one step
goes in one transaction (``commit``), so a crash leaves either the state before the step or
the state after it. ``lock`` makes this process the only writer (``reaper.store.lock``).
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from reaper.core.domain import Flag
from reaper.errors import StateStoreError
from reaper.redact import scrub
from reaper.store.lock import LockInfo, acquire, mutex_for
from reaper.store.migrate import MIGRATION_WAIT_SECONDS, upgrade_to_head
from reaper.store.records import AuditEntry, CancelIntent, Exemption
from reaper.store.schema import (
    audit_table,
    exemptions_table,
    flags_table,
    grant_scopes_table,
    intents_table,
    lock_table,
    scans_table,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from sqlalchemy.engine import Connection

#: The one lock name in ``reaper_lock``.
LOCK_NAME = "writer"


def normalise_url(url: str) -> str:
    """Map plain ``postgresql://`` URLs to the psycopg 3 driver we ship."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


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
        url = normalise_url(url)
        self._clock = clock
        try:
            parsed = sa.engine.make_url(url)
            if parsed.get_backend_name() == "sqlite" and parsed.database not in {
                None,
                "",
                ":memory:",
            }:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            self._engine = sa.create_engine(parsed, pool_pre_ping=True)
            try:
                upgrade_to_head(self._engine, wait=migration_wait)
            except BaseException:
                self._engine.dispose()
                raise
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
        close_intents: Iterable[tuple[str, str, str]] = (),
        close_at: datetime | None = None,
        scans: Iterable[tuple[str, int, datetime]] = (),
        exempt: Iterable[Exemption] = (),
        held: Iterable[tuple[str, str]] = (),
        not_held: Iterable[tuple[str, str]] = (),
    ) -> None:
        """Change flags, audit log, cancel intents, scans and exemptions in one transaction.

        ``close_intents`` holds (org, login, outcome): every unresolved intent of that user is
        resolved with that outcome at ``close_at``. Closing happens before ``open_intents``
        are inserted, so one commit can settle an old intent and record a new one.
        ``scans`` holds (org, seats, scanned_at) of complete scans; each replaces the org's last.
        ``exempt`` holds exemptions; each replaces the person's (logins compared casefolded).
        ``held`` and ``not_held`` hold (login, scope) pairs where a person now holds, or no
        longer holds, a grant (see ``grant_scopes``).
        """
        added = [_flag_row(flag) for flag in add]
        removed = list(remove)
        entries = [_audit_row(entry) for entry in audit]
        opened = [_intent_row(intent) for intent in open_intents]
        closed = list(close_intents)
        scanned = list(scans)
        exemptions = {e.login.casefold(): _exemption_row(e) for e in exempt}
        gained = [{"login_key": k.casefold(), "scope": s.casefold()} for k, s in held]
        lost = [(k.casefold(), s.casefold()) for k, s in not_held]
        if closed and close_at is None:
            raise ValueError("close_intents needs close_at")
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
            for org, login, outcome in closed:
                conn.execute(
                    sa.update(intents_table)
                    .where(
                        intents_table.c.org == org,
                        intents_table.c.login == login,
                        intents_table.c.resolved_at.is_(None),
                    )
                    .values(resolved_at=close_at, outcome=outcome)
                )
            if opened:
                conn.execute(sa.insert(intents_table), opened)
            for org, seats, scanned_at in scanned:
                conn.execute(sa.delete(scans_table).where(scans_table.c.org == org))
                conn.execute(
                    sa.insert(scans_table).values(org=org, seats=seats, scanned_at=scanned_at)
                )
            if exemptions:
                conn.execute(
                    sa.delete(exemptions_table).where(
                        exemptions_table.c.login_key.in_(list(exemptions))
                    )
                )
                conn.execute(sa.insert(exemptions_table), list(exemptions.values()))
            table = grant_scopes_table
            for key, scope in lost:
                conn.execute(
                    sa.delete(table).where(table.c.login_key == key, table.c.scope == scope)
                )
            if gained:
                conn.execute(sa.insert(table), gained)

    def grant_scopes(self) -> dict[str, frozenset[str]]:
        """Where each person held a grant at the last complete read, case-folded (see 0004)."""
        held: dict[str, set[str]] = {}
        with self._connect() as conn:
            for row in conn.execute(sa.select(grant_scopes_table)):
                held.setdefault(row.login_key, set()).add(row.scope)
        return {key: frozenset(scopes) for key, scopes in held.items()}

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

    @contextmanager
    def lock(self, holder: str, *, wait: float = 0.0) -> Iterator[bool]:
        """Become the only writer: yield ``True`` once held, ``False`` if it stayed busy.

        Waits up to ``wait`` seconds. While held, ``reaper_lock`` names ``holder`` (e.g.
        ``HOST:PID``, see ``default_holder``); on exit the row goes and the lock is released.
        The lock also ends when the process dies, whatever the row still says.
        """
        mutex = mutex_for(self._engine)
        try:
            got = acquire(mutex, wait)
        except (SQLAlchemyError, OSError) as exc:
            raise StateStoreError(_describe(exc, str(self._engine.url))) from None
        if not got:
            yield False
            return
        try:
            with self._connect() as conn:
                conn.execute(sa.delete(lock_table).where(lock_table.c.name == LOCK_NAME))
                conn.execute(
                    sa.insert(lock_table).values(
                        name=LOCK_NAME, holder=holder, acquired_at=self._clock()
                    )
                )
            yield True
        finally:
            try:
                with self._connect() as conn:
                    conn.execute(
                        sa.delete(lock_table).where(
                            lock_table.c.name == LOCK_NAME, lock_table.c.holder == holder
                        )
                    )
            finally:
                mutex.release()

    def lock_holder(self) -> LockInfo | None:
        """Who holds the writer lock now; ``None`` when nobody does (a stale row is ignored)."""
        try:
            held = mutex_for(self._engine).is_held()
        except (SQLAlchemyError, OSError) as exc:
            raise StateStoreError(_describe(exc, str(self._engine.url))) from None
        if not held:
            return None
        with self._connect() as conn:
            row = conn.execute(
                sa.select(lock_table.c.holder, lock_table.c.acquired_at).where(
                    lock_table.c.name == LOCK_NAME
                )
            ).first()
        return LockInfo("unknown", None) if row is None else LockInfo(row.holder, row.acquired_at)

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


def _intent_row(intent: CancelIntent) -> dict[str, Any]:
    return {"org": intent.org, "login": intent.login, "requested_at": intent.requested_at}


def _exemption_row(exemption: Exemption) -> dict[str, Any]:
    """One exemption row; who asked and why are free text, scrubbed like audit reasons."""
    return {
        "login_key": exemption.login.casefold(),
        "login": exemption.login,
        "until": exemption.until,
        "reason": scrub(exemption.reason)[:2000],
        "by": scrub(exemption.by)[:200],
        "at": exemption.at,
    }


def _audit_row(entry: AuditEntry) -> dict[str, Any]:
    """One audit row; its free text is scrubbed, as reasons may quote GitHub's answers."""
    return {
        "at": entry.at,
        "org": entry.org,
        "login": entry.login if entry.login is None else scrub(entry.login),
        "event": entry.event,
        "reason": scrub(entry.reason)[:2000],
    }


def _describe(exc: BaseException, url: str) -> str:
    safe_url = sa.engine.make_url(url).render_as_string(hide_password=True)
    detail = str(getattr(exc, "orig", None) or exc).splitlines()[0][:300]
    return f"state store {safe_url} failed: {detail}"
