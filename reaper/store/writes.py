"""The store's writes: one step's changes in one transaction, and warnings marked delivered.

Every change of one step goes in one transaction, so a crash leaves either the state before
the step or the state after it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from reaper.store.records import AuditEntry
from reaper.store.rows import audit_row, exemption_row, flag_row, intent_row
from reaper.store.schema import (
    audit_table,
    exemptions_table,
    flags_table,
    grant_scopes_table,
    intents_table,
    scans_table,
    team_removals_table,
)
from reaper.store.teams import removal_row

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime, timedelta

    from sqlalchemy.engine import Connection

    from reaper.core.domain import Flag
    from reaper.store.records import CancelIntent, Exemption
    from reaper.store.teams import TeamRemoval


class StepChanges:
    """The changes of one step, read and checked before any transaction opens.

    The arguments are those of ``SqlStore.commit``; ``close_intents`` without ``close_at``
    raises ``ValueError``.
    """

    def __init__(
        self,
        *,
        add: Iterable[Flag],
        remove: Iterable[Flag],
        audit: Iterable[AuditEntry],
        open_intents: Iterable[CancelIntent],
        open_removals: Iterable[TeamRemoval] = (),
        close_intents: Iterable[tuple[str, str, str]],
        close_at: datetime | None,
        scans: Iterable[tuple[str, int, datetime]],
        exempt: Iterable[Exemption],
        held: Iterable[tuple[str, str]],
        not_held: Iterable[tuple[str, str]],
    ) -> None:
        self.added = [flag_row(flag) for flag in add]
        self.removed = list(remove)
        self.entries = [audit_row(entry) for entry in audit]
        self.opened = [intent_row(intent) for intent in open_intents]
        self.removing = [removal_row(removal) for removal in open_removals]
        self.closed = list(close_intents)
        self.close_at = close_at
        self.scanned = list(scans)
        self.exemptions = {e.login.casefold(): exemption_row(e) for e in exempt}
        self.gained = [{"login_key": k.casefold(), "scope": s.casefold()} for k, s in held]
        self.lost = [(k.casefold(), s.casefold()) for k, s in not_held]
        if self.closed and close_at is None:
            raise ValueError("close_intents needs close_at")

    def write(self, conn: Connection) -> None:
        """Apply the changes in ``conn``'s transaction: intents close before new ones open."""
        for flag in self.removed:
            conn.execute(
                sa.delete(flags_table).where(
                    flags_table.c.org == flag.org, flags_table.c.login == flag.login
                )
            )
        if self.added:
            conn.execute(sa.insert(flags_table), self.added)
        if self.entries:
            conn.execute(sa.insert(audit_table), self.entries)
        for org, login, outcome in self.closed:
            conn.execute(
                sa.update(intents_table)
                .where(
                    intents_table.c.org == org,
                    intents_table.c.login == login,
                    intents_table.c.resolved_at.is_(None),
                )
                .values(resolved_at=self.close_at, outcome=outcome)
            )
        if self.opened:
            conn.execute(sa.insert(intents_table), self.opened)
        if self.removing:
            conn.execute(sa.insert(team_removals_table), self.removing)
        for org, seats, scanned_at in self.scanned:
            conn.execute(sa.delete(scans_table).where(scans_table.c.org == org))
            conn.execute(sa.insert(scans_table).values(org=org, seats=seats, scanned_at=scanned_at))
        if self.exemptions:
            conn.execute(
                sa.delete(exemptions_table).where(
                    exemptions_table.c.login_key.in_(list(self.exemptions))
                )
            )
            conn.execute(sa.insert(exemptions_table), list(self.exemptions.values()))
        table = grant_scopes_table
        for key, scope in self.lost:
            conn.execute(sa.delete(table).where(table.c.login_key == key, table.c.scope == scope))
        if self.gained:
            conn.execute(sa.insert(table), self.gained)


def mark_warned(
    conn: Connection, keys: Iterable[tuple[str, str]], at: datetime, grace: timedelta
) -> int:
    """Start the grace period of never-warned flags among ``keys``; return how many.

    Each flag marked gets a ``flag.warned`` audit entry, in the same transaction.
    """
    marked = []
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
            marked.append(audit_row(AuditEntry(at, org, login, "flag.warned", reason)))
    if marked:
        conn.execute(sa.insert(audit_table), marked)
    return len(marked)
