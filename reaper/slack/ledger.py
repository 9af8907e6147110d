"""Memory of direct messages across cycles, in the reaper's state database (own tables).

``slack_direct_messages`` holds one row per (org, login, event, event key) that was sent, so
no user gets two messages for one event; the row is claimed before the message goes out and
released only when Slack definitely refused it (at most once, never twice).
``slack_user_lookups`` caches ``users.lookupByEmail`` answers, found or not, and the users read
from Slack's directory (``users.list``); its row ``@directory`` (not an address) holds when the
directory was last read whole, and how many users it had.
``identities`` caches who each login is outside GitHub (address and source, when read).
The tables are created by the store's migrations (``reaper.store.migrate``), not here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Self

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from reaper.errors import StateStoreError
from reaper.store import UTCDateTime, normalise_url
from reaper.store.migrate import upgrade_to_head

if TYPE_CHECKING:
    from datetime import datetime
    from types import TracebackType

FOUND_TTL = timedelta(days=30)
NOT_FOUND_TTL = timedelta(days=1)

metadata = sa.MetaData()

dm_table = sa.Table(
    "slack_direct_messages",
    metadata,
    sa.Column("org", sa.String(100), primary_key=True),
    sa.Column("login", sa.String(100), primary_key=True),
    sa.Column("event", sa.String(20), primary_key=True),
    sa.Column("event_key", sa.String(40), primary_key=True),
    sa.Column("sent_at", UTCDateTime(), nullable=False),
)

lookup_table = sa.Table(
    "slack_user_lookups",
    metadata,
    sa.Column("email", sa.String(320), primary_key=True),
    sa.Column("user_id", sa.String(40), nullable=True),  # None: no Slack user has this e-mail
    sa.Column("looked_up_at", UTCDateTime(), nullable=False),
)

# Apart from ``metadata``: a database made by ``create_all`` before migrations (revision
# 0001's adoption) never had it, so the migration 0007 creates it.
identity_metadata = sa.MetaData()

identity_table = sa.Table(
    "identities",
    identity_metadata,
    sa.Column("login_key", sa.String(100), primary_key=True),
    sa.Column("email", sa.String(320), nullable=True),  # None: no source had an address
    sa.Column("source", sa.String(20), nullable=False),
    sa.Column("read_at", UTCDateTime(), nullable=False),
)

DIRECTORY_ROW = "@directory"  # the look-up table's row about the directory itself

DmKey = tuple[str, str, str, str]  # org, login (case-folded), event, event key


class DmLedger:
    """Which direct messages went out, and which e-mails belong to which Slack users."""

    def __init__(self, url: str) -> None:
        try:
            self._engine = sa.create_engine(normalise_url(url), pool_pre_ping=True)
            try:
                upgrade_to_head(self._engine)  # a no-op once the store has migrated the schema
            except BaseException:
                self._engine.dispose()
                raise
        except (SQLAlchemyError, OSError) as exc:
            raise StateStoreError(f"direct-message ledger: {type(exc).__name__}") from None

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def claim(self, key: DmKey, at: datetime) -> bool:
        """Record that this message is being sent; ``False`` when it was sent before."""
        org, login, event, event_key = key
        row = {"org": org, "login": login, "event": event, "event_key": event_key, "sent_at": at}
        try:
            with self._engine.begin() as conn:
                conn.execute(dm_table.insert().values(**row))
        except IntegrityError:
            return False
        except SQLAlchemyError as exc:
            raise StateStoreError(f"direct-message ledger: {type(exc).__name__}") from None
        return True

    def release(self, key: DmKey) -> None:
        """Forget a claim whose message Slack refused, so a later cycle may send it."""
        org, login, event, event_key = key
        condition = sa.and_(
            dm_table.c.org == org,
            dm_table.c.login == login,
            dm_table.c.event == event,
            dm_table.c.event_key == event_key,
        )
        try:
            with self._engine.begin() as conn:
                conn.execute(dm_table.delete().where(condition))
        except SQLAlchemyError as exc:
            raise StateStoreError(f"direct-message ledger: {type(exc).__name__}") from None

    def sent_keys(self, orgs: set[str]) -> set[DmKey]:
        """Every message key sent (or claimed) in these orgs."""
        query = sa.select(
            dm_table.c.org, dm_table.c.login, dm_table.c.event, dm_table.c.event_key
        ).where(dm_table.c.org.in_(sorted(orgs)))
        try:
            with self._engine.connect() as conn:
                return {(r.org, r.login, r.event, r.event_key) for r in conn.execute(query)}
        except SQLAlchemyError as exc:
            raise StateStoreError(f"direct-message ledger: {type(exc).__name__}") from None

    def cached_user(self, email: str, now: datetime) -> tuple[bool, str | None]:
        """(known, Slack user id or None) for an e-mail looked up recently enough."""
        query = sa.select(lookup_table.c.user_id, lookup_table.c.looked_up_at).where(
            lookup_table.c.email == email.lower()
        )
        try:
            with self._engine.connect() as conn:
                row = conn.execute(query).first()
        except SQLAlchemyError as exc:
            raise StateStoreError(f"direct-message ledger: {type(exc).__name__}") from None
        if row is None:
            return False, None
        ttl = FOUND_TTL if row.user_id else NOT_FOUND_TTL
        if now - row.looked_up_at > ttl:
            return False, None
        return True, row.user_id

    def remember_user(self, email: str, user_id: str | None, now: datetime) -> None:
        """Cache the answer of one look-up."""
        email = email.lower()
        try:
            with self._engine.begin() as conn:
                conn.execute(lookup_table.delete().where(lookup_table.c.email == email))
                conn.execute(
                    lookup_table.insert().values(email=email, user_id=user_id, looked_up_at=now)
                )
        except SQLAlchemyError as exc:
            raise StateStoreError(f"direct-message ledger: {type(exc).__name__}") from None

    def remember_users(self, users: dict[str, str | None], now: datetime) -> None:
        """Cache many answers at once (address → Slack user id, or None: nobody to message)."""
        rows = [{"email": e.lower(), "user_id": u, "looked_up_at": now} for e, u in users.items()]
        try:
            with self._engine.begin() as conn:
                for start in range(0, len(rows), 500):
                    chunk = rows[start : start + 500]
                    emails = [row["email"] for row in chunk]
                    conn.execute(lookup_table.delete().where(lookup_table.c.email.in_(emails)))
                    conn.execute(lookup_table.insert(), chunk)
        except SQLAlchemyError as exc:
            raise StateStoreError(f"direct-message ledger: {type(exc).__name__}") from None

    def directory(self, now: datetime) -> tuple[int, datetime] | None:
        """(users, when read) of the last whole read of Slack's directory, if any."""
        query = sa.select(lookup_table.c.user_id, lookup_table.c.looked_up_at).where(
            lookup_table.c.email == DIRECTORY_ROW
        )
        try:
            with self._engine.connect() as conn:
                row = conn.execute(query).first()
        except SQLAlchemyError as exc:
            raise StateStoreError(f"direct-message ledger: {type(exc).__name__}") from None
        if row is None or not str(row.user_id or "").isdigit() or row.looked_up_at > now:
            return None
        return int(row.user_id), row.looked_up_at

    def remember_directory(self, users: int, now: datetime) -> None:
        """Record a whole read of Slack's directory: when, and how many users it had."""
        self.remember_users({DIRECTORY_ROW: str(users)}, now)

    def cached_identities(
        self, logins: list[str], now: datetime, max_age: timedelta
    ) -> dict[str, tuple[str | None, str]]:
        """Case-folded login → (address or None, source) for answers read within ``max_age``."""
        keys = sorted({login.casefold() for login in logins})
        found: dict[str, tuple[str | None, str]] = {}
        try:
            with self._engine.connect() as conn:
                for start in range(0, len(keys), 500):
                    query = sa.select(identity_table).where(
                        identity_table.c.login_key.in_(keys[start : start + 500])
                    )
                    for row in conn.execute(query):
                        if now - row.read_at <= max_age:
                            found[row.login_key] = (row.email, row.source)
        except SQLAlchemyError as exc:
            raise StateStoreError(f"direct-message ledger: {type(exc).__name__}") from None
        return found

    def remember_identities(
        self, answers: dict[str, tuple[str | None, str]], now: datetime
    ) -> None:
        """Cache who these logins are (address or None, source), read at ``now``."""
        rows = [
            {"login_key": login.casefold(), "email": email, "source": source, "read_at": now}
            for login, (email, source) in answers.items()
        ]
        if not rows:
            return
        try:
            with self._engine.begin() as conn:
                keys = [row["login_key"] for row in rows]
                conn.execute(identity_table.delete().where(identity_table.c.login_key.in_(keys)))
                conn.execute(identity_table.insert(), rows)
        except SQLAlchemyError as exc:
            raise StateStoreError(f"direct-message ledger: {type(exc).__name__}") from None
