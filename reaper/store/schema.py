"""The tables the store queries. Their DDL lives in the migrations (``migrations/versions``).

These definitions describe the schema for queries only; ``tests/test_migrations.py`` checks
that the migrations build exactly this (and the DM ledger's tables), on both engines.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timestamps stored as naive UTC (portable) and read back as aware UTC."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        """Store aware datetimes as naive UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the state store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        """Read naive UTC back as aware UTC."""
        return None if value is None else value.replace(tzinfo=UTC)


metadata = sa.MetaData()

flags_table = sa.Table(
    "flags",
    metadata,
    sa.Column("org", sa.String(100), primary_key=True),
    sa.Column("login", sa.String(100), primary_key=True),
    sa.Column("flagged_at", UTCDateTime(), nullable=False),
    sa.Column("reference_at", UTCDateTime(), nullable=False),
    sa.Column("warned_at", UTCDateTime(), nullable=True),
    sa.Column("due_at", UTCDateTime(), nullable=True),
)

audit_table = sa.Table(
    "audit",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("at", UTCDateTime(), nullable=False, index=True),
    sa.Column("org", sa.String(100), nullable=False),
    sa.Column("login", sa.String(100), nullable=True),
    sa.Column("event", sa.String(50), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)

# A cancel request we sent (or were about to send) and have not yet confirmed by reading
# the seat back: resolved_at and outcome stay empty until a later read settles it.
intents_table = sa.Table(
    "cancel_intents",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("org", sa.String(100), nullable=False),
    sa.Column("login", sa.String(100), nullable=False),
    sa.Column("requested_at", UTCDateTime(), nullable=False),
    sa.Column("resolved_at", UTCDateTime(), nullable=True),
    sa.Column("outcome", sa.Text, nullable=True),
    sa.Index("ix_cancel_intents_org_login", "org", "login"),
)

# The seat count of each org's last complete scan, to bound mass forgetting.
scans_table = sa.Table(
    "org_scans",
    metadata,
    sa.Column("org", sa.String(100), primary_key=True),
    sa.Column("seats", sa.Integer, nullable=False),
    sa.Column("scanned_at", UTCDateTime(), nullable=False),
)

# Who holds the writer lock, for display only: the lock itself is an advisory lock
# (PostgreSQL) or a file lock (SQLite), which dies with its holder; this row may not.
lock_table = sa.Table(
    "reaper_lock",
    metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("holder", sa.Text, nullable=False),
    sa.Column("acquired_at", UTCDateTime(), nullable=False),
)

# People the reaper leaves alone until ``until`` (reinstated, or kept on request): one row
# per person, ``login_key`` being the login case-folded and ``login`` as it was given.
exemptions_table = sa.Table(
    "exemptions",
    metadata,
    sa.Column("login_key", sa.String(100), primary_key=True),
    sa.Column("login", sa.String(100), nullable=False),
    sa.Column("until", UTCDateTime(), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("by", sa.String(200), nullable=False),
    sa.Column("at", UTCDateTime(), nullable=False),
)

# Where each person held a grant when that scope's list was last read completely (both keys
# case-folded): a person with a remembered grant in a scope not read this cycle waits.
grant_scopes_table = sa.Table(
    "grant_scopes",
    metadata,
    sa.Column("login_key", sa.String(100), primary_key=True),
    sa.Column("scope", sa.String(150), primary_key=True),
)

# A removal of a person from a team that was sent (or about to be): ``team`` is ``org/slug``
# or ``ent:slug`` and ``login_key`` the login, both case-folded; settled by a later read.
team_removals_table = sa.Table(
    "team_removals",
    metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("team", sa.String(150), nullable=False),
    sa.Column("login_key", sa.String(100), nullable=False, index=True),
    sa.Column("login", sa.String(100), nullable=False),
    sa.Column("requested_at", UTCDateTime(), nullable=False),
    sa.Column("resolved_at", UTCDateTime(), nullable=True),
    sa.Column("outcome", sa.Text, nullable=True),
    sa.Column("reinstated_at", UTCDateTime(), nullable=True),
)

# What a refused removal taught about a team (``refusal`` = ``idp_managed``), one row a team.
team_facts_table = sa.Table(
    "team_facts",
    metadata,
    sa.Column("team", sa.String(150), primary_key=True),
    sa.Column("refusal", sa.String(40), nullable=False),
    sa.Column("learnt_at", UTCDateTime(), nullable=False),
)

# Each scope's next billing-cycle date (scope case-folded), learnt from a seat's
# ``pending_cancellation_date``: with REAPER_CANCEL_TIMING=cycle_end cancels wait for it.
billing_cycles_table = sa.Table(
    "billing_cycles",
    metadata,
    sa.Column("scope", sa.String(150), primary_key=True),
    sa.Column("next_cycle_on", sa.Date(), nullable=False),
    sa.Column("learnt_at", UTCDateTime(), nullable=False),
)
