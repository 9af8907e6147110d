"""Cancel intents, the last complete scan of each org, and who holds the writer lock.

Revision ID: 0002
Revises: 0001
Create Date: 2026-03-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create cancel_intents, org_scans and reaper_lock."""
    op.create_table(
        "cancel_intents",
        sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("org", sa.String(100), nullable=False),
        sa.Column("login", sa.String(100), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.Text, nullable=True),
    )
    op.create_index("ix_cancel_intents_org_login", "cancel_intents", ["org", "login"])
    op.create_table(
        "org_scans",
        sa.Column("org", sa.String(100), primary_key=True),
        sa.Column("seats", sa.Integer, nullable=False),
        sa.Column("scanned_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "reaper_lock",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("holder", sa.Text, nullable=False),
        sa.Column("acquired_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_table("reaper_lock")
    op.drop_table("org_scans")
    op.drop_index("ix_cancel_intents_org_login", table_name="cancel_intents")
    op.drop_table("cancel_intents")
