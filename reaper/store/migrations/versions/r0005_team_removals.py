"""Seats granted through teams: team removals and what the reaper learnt about each team.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

``team_removals`` holds one row per removal of a person from a team that the reaper sent (or
was about to send): ``team`` is ``org/slug`` or ``ent:slug`` case-folded, ``login_key`` the
login case-folded. ``resolved_at`` and ``outcome`` stay empty until a later read of the
membership settles it; ``reinstated_at`` is set when ``reaper reinstate`` put the person back.

``team_facts`` remembers what a removal taught about a team that no read can show, one row
per team: ``refusal`` is ``idp_managed`` when GitHub refused a removal naming team
synchronisation (App tokens cannot read team sync), ``learnt_at`` when.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create team_removals and team_facts."""
    op.create_table(
        "team_removals",
        sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("team", sa.String(150), nullable=False),
        sa.Column("login_key", sa.String(100), nullable=False),
        sa.Column("login", sa.String(100), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.Text, nullable=True),
        sa.Column("reinstated_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_team_removals_login_key", "team_removals", ["login_key"])
    op.create_table(
        "team_facts",
        sa.Column("team", sa.String(150), primary_key=True),
        sa.Column("refusal", sa.String(40), nullable=False),
        sa.Column("learnt_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    """Drop team_facts and team_removals."""
    op.drop_table("team_facts")
    op.drop_index("ix_team_removals_login_key", table_name="team_removals")
    op.drop_table("team_removals")
