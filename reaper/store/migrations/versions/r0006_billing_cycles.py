"""Each scope's next billing-cycle date, learnt from GitHub, for cancelling at the cycle end.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

``billing_cycles`` holds one row per scope (an org's login or ``enterprise:<slug>``,
case-folded): ``next_cycle_on`` is the first day of the scope's next billing cycle, learnt
from a seat's ``pending_cancellation_date`` (GitHub sets it to that day) and moved forward a
month as dates pass; ``learnt_at`` is when it was last read from a seat.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create billing_cycles."""
    op.create_table(
        "billing_cycles",
        sa.Column("scope", sa.String(150), primary_key=True),
        sa.Column("next_cycle_on", sa.Date(), nullable=False),
        sa.Column("learnt_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    """Drop billing_cycles."""
    op.drop_table("billing_cycles")
