"""The schema as it was before migrations: flags, audit, and the DM ledger's two tables.

Revision ID: 0001
Revises: -
Create Date: 2026-03-02

Databases made by the old ``create_all`` hold some of these tables already (the DM tables
only when direct messages were ever enabled), so each table is created only when missing:
upgrading such a database adopts what is there and keeps its rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _missing(table: str) -> bool:
    return not sa.inspect(op.get_bind()).has_table(table)


def upgrade() -> None:
    """Create flags, audit, slack_direct_messages and slack_user_lookups where missing."""
    if _missing("flags"):
        op.create_table(
            "flags",
            sa.Column("org", sa.String(100), primary_key=True),
            sa.Column("login", sa.String(100), primary_key=True),
            sa.Column("flagged_at", sa.DateTime(), nullable=False),
            sa.Column("reference_at", sa.DateTime(), nullable=False),
            sa.Column("warned_at", sa.DateTime(), nullable=True),
            sa.Column("due_at", sa.DateTime(), nullable=True),
        )
    if _missing("audit"):
        op.create_table(
            "audit",
            sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
            sa.Column("at", sa.DateTime(), nullable=False),
            sa.Column("org", sa.String(100), nullable=False),
            sa.Column("login", sa.String(100), nullable=True),
            sa.Column("event", sa.String(50), nullable=False),
            sa.Column("reason", sa.Text, nullable=False),
        )
        op.create_index("ix_audit_at", "audit", ["at"])
    if _missing("slack_direct_messages"):
        op.create_table(
            "slack_direct_messages",
            sa.Column("org", sa.String(100), primary_key=True),
            sa.Column("login", sa.String(100), primary_key=True),
            sa.Column("event", sa.String(20), primary_key=True),
            sa.Column("event_key", sa.String(40), primary_key=True),
            sa.Column("sent_at", sa.DateTime(), nullable=False),
        )
    if _missing("slack_user_lookups"):
        op.create_table(
            "slack_user_lookups",
            sa.Column("email", sa.String(320), primary_key=True),
            sa.Column("user_id", sa.String(40), nullable=True),
            sa.Column("looked_up_at", sa.DateTime(), nullable=False),
        )


def downgrade() -> None:
    """Drop every table of the first revision (and so all state)."""
    for table in ("slack_user_lookups", "slack_direct_messages", "audit", "flags"):
        op.drop_table(table)
