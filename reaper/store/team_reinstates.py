"""Team removals in the state store, seen from ``reaper reinstate`` (table ``team_removals``).

The cycle writes a row when it removes a person from a team (``outcome`` ``removed`` once
GitHub confirmed it). ``reaper reinstate`` reads a person's open removals (``removed`` and
not reinstated yet) and, once GitHub has put the person back, marks the row reinstated in
the same transaction as the audit entry, the removal of the person's flags and their
exemption. The cycle's side (intents, outcomes, ``team_facts``) is ``reaper.store.teams``.

Its audit entries are made by ``reaper.store.teams.team_audit``, as the cycle's are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from reaper.store.schema import team_removals_table
from reaper.store.teams import REMOVED
from reaper.store.writes import StepChanges

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from contextlib import AbstractContextManager
    from datetime import datetime

    from sqlalchemy.engine import Connection

    from reaper.core.domain import Flag
    from reaper.store.records import AuditEntry, Exemption


@dataclass(frozen=True, slots=True)
class OpenRemoval:
    """One confirmed removal of a person from a team, not yet undone.

    ``team`` is the key ``org/slug`` or ``ent:slug`` (case-folded); ``login`` as GitHub
    spelled it when the person was removed.
    """

    id: int
    team: str
    login: str
    requested_at: datetime


class TeamReinstates:
    """Read a person's open team removals and mark them reinstated, each in one transaction.

    ``connect`` opens a transaction (``SqlStore.team_reinstates`` passes its own).
    """

    def __init__(self, connect: Callable[[], AbstractContextManager[Connection]]) -> None:
        self._connect = connect

    def open_removals(self, login: str) -> list[OpenRemoval]:
        """The person's removals that GitHub confirmed and nobody undid, oldest first."""
        table = team_removals_table
        query = (
            sa.select(table.c.id, table.c.team, table.c.login, table.c.requested_at)
            .where(table.c.login_key == login.casefold())
            .where(table.c.outcome == REMOVED)
            .where(table.c.reinstated_at.is_(None))
            .order_by(table.c.requested_at, table.c.id)
        )
        with self._connect() as conn:
            rows = conn.execute(query).all()
        return [OpenRemoval(r.id, r.team, r.login, r.requested_at) for r in rows]

    def mark_reinstated(
        self,
        removal: OpenRemoval,
        at: datetime,
        *,
        audit: Iterable[AuditEntry],
        remove: Iterable[Flag] = (),
        exempt: Iterable[Exemption] = (),
    ) -> None:
        """Set the row's ``reinstated_at`` with its audit entry, flags gone and exemption."""
        changes = StepChanges(
            add=(),
            remove=remove,
            audit=audit,
            open_intents=(),
            close_intents=(),
            close_at=None,
            scans=(),
            exempt=exempt,
            held=(),
            not_held=(),
        )
        table = team_removals_table
        with self._connect() as conn:
            changes.write(conn)
            conn.execute(
                sa.update(table)
                .where(table.c.id == removal.id)
                .where(table.c.reinstated_at.is_(None))
                .values(reinstated_at=at)
            )
