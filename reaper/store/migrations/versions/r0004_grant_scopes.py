"""Where each person holds grants: a person is decided only on a complete view of them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

``grant_scopes`` holds one row per (person, scope) where the person held a Copilot grant when
that scope's list was last read completely: ``login_key`` is the login case-folded and
``scope`` the scope key case-folded (an org's login, or ``enterprise:<slug>``). A person whose
remembered scope cannot be read in a cycle waits for a complete view.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create grant_scopes."""
    op.create_table(
        "grant_scopes",
        sa.Column("login_key", sa.String(100), primary_key=True),
        sa.Column("scope", sa.String(150), primary_key=True),
    )


def downgrade() -> None:
    """Drop grant_scopes."""
    op.drop_table("grant_scopes")
