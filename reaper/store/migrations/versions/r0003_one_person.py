"""One decision per person: exemptions, and one flag per person instead of one per org.

Revision ID: 0003
Revises: 0002
Create Date: 2026-03-09

``exemptions`` holds the people the reaper leaves alone until a date (reinstated by an admin,
or kept on request), one row per person: ``login_key`` is the login case-folded, ``login``
as it was given.

Flags were kept per (org, login); a person granted by several orgs could hold one flag in
each. They are merged here into one flag per person (logins compared case-insensitively),
keeping the most conservative: a flag not yet warned (no due date) first, else the one due
last. The others are deleted; nothing else about the kept flag changes.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_flags = sa.table(
    "flags",
    sa.column("org", sa.String),
    sa.column("login", sa.String),
    sa.column("flagged_at", sa.DateTime),
    sa.column("reference_at", sa.DateTime),
    sa.column("due_at", sa.DateTime),
)


def upgrade() -> None:
    """Create exemptions; keep one flag per person."""
    op.create_table(
        "exemptions",
        sa.Column("login_key", sa.String(100), primary_key=True),
        sa.Column("login", sa.String(100), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    merge_flags(op.get_bind())


def conservative_order(row: Any) -> tuple[Any, ...]:
    """Sort key: the flag to keep sorts last (unwarned, else due last; then the freshest).

    Each time is keyed ``(present, time)``: a missing one sorts first and is never compared.
    """
    return (
        row.due_at is None,
        (row.due_at is not None, row.due_at),
        (row.reference_at is not None, row.reference_at),
        (row.flagged_at is not None, row.flagged_at),
        row.org,
    )


def merge_flags(conn: sa.Connection) -> int:
    """Delete every flag of a person but the most conservative one; return how many went."""
    rows = conn.execute(sa.select(_flags)).all()
    by_person: dict[str, list[Any]] = {}
    for row in rows:
        by_person.setdefault(row.login.casefold(), []).append(row)
    deleted = 0
    for flags in by_person.values():
        for row in sorted(flags, key=conservative_order)[:-1]:
            conn.execute(
                sa.delete(_flags).where(_flags.c.org == row.org, _flags.c.login == row.login)
            )
            deleted += 1
    return deleted


def downgrade() -> None:
    """Drop exemptions (merged flags stay merged: the deleted duplicates cannot come back)."""
    op.drop_table("exemptions")
