"""Who each person is outside GitHub: the address an identity source gave, and when it was read.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

``identities`` holds one row per person (``login_key``, the login case-folded): the address
found for them (``email``, empty when no source had one), the source that gave it (``map``,
``saml``, ``scim``, ``verified``, or empty) and ``read_at``, when it was read; an answer
older than ``REAPER_IDENTITY_MAX_AGE_DAYS`` is read again. (Slack's side, address → Slack
user, stays in ``slack_user_lookups``, filled by ``users.lookupByEmail`` or ``users.list``.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create identities."""
    op.create_table(
        "identities",
        sa.Column("login_key", sa.String(100), primary_key=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    """Drop identities."""
    op.drop_table("identities")
