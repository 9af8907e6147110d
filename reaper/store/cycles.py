"""Each scope's next billing-cycle date in the state store (table ``billing_cycles``, 0006).

One row per scope, the scope key case-folded. Written by a live cycle only (through
``reaper.cycle.remember.Memory.write``); read by every cycle to time cancels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from reaper.store.schema import billing_cycles_table

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date, datetime

    from sqlalchemy.engine import Connection


def read_cycles(conn: Connection) -> dict[str, date]:
    """Every stored next cycle date, by case-folded scope key."""
    rows = conn.execute(sa.select(billing_cycles_table)).all()
    return {row.scope: row.next_cycle_on for row in rows}


def write_cycles(conn: Connection, cycles: Mapping[str, date], at: datetime) -> None:
    """Replace the stored next cycle date of each scope given (others are left alone)."""
    keys = [scope.casefold() for scope in cycles]
    if not keys:
        return
    table = billing_cycles_table
    conn.execute(sa.delete(table).where(table.c.scope.in_(keys)))
    conn.execute(
        sa.insert(table),
        [
            {"scope": scope.casefold(), "next_cycle_on": day, "learnt_at": at}
            for scope, day in cycles.items()
        ],
    )
