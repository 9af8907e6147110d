"""Team removals and what refused removals taught about teams (tables of migration 0005).

``team_removals`` holds one row per removal of a person from a team, stored before the
request (an intent: ``outcome`` and ``resolved_at`` empty) and settled afterwards: by the
cycle that sent it, or by the next one when the process died in between. ``outcome`` is
``removed`` (what ``reaper reinstate`` looks for, with ``reinstated_at`` empty), ``not
removed`` or ``failed``. ``team_facts`` remembers a team GitHub refused a removal from
because an identity provider manages it (``refusal='idp_managed'``).

The audit log has no team column: a team entry's ``org`` is the team's scope (the org, or
``enterprise:<slug>``) and its reason begins ``team <org/slug or ent:slug>: ``. Every one is
made by ``team_audit``; ``audit_team`` reads the team back for ``reaper audit``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from reaper.store.engine import transaction
from reaper.store.records import AuditEntry
from reaper.store.rows import audit_row
from reaper.store.schema import audit_table, team_facts_table, team_removals_table

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from sqlalchemy.engine import Engine


REMOVED, NOT_REMOVED, FAILED = "removed", "not removed", "failed"
IDP_MANAGED = "idp_managed"
#: Audit events whose reason names a team.
TEAM_EVENT_PREFIX = "team."
_TEAM_PREFIX = "team "


def team_audit(
    at: datetime, scope: str, login: str, event: str, *, team: str, why: str
) -> AuditEntry:
    """An audit entry about ``team``: ``org`` is its scope, the reason starts with the team."""
    return AuditEntry(at, scope, login, event, f"{_TEAM_PREFIX}{team}: {why}")


def audit_team(entry: AuditEntry) -> str | None:
    """The team an audit entry is about (``org/slug`` or ``ent:slug``), else ``None``."""
    if not entry.event.startswith(TEAM_EVENT_PREFIX) or not entry.reason.startswith(_TEAM_PREFIX):
        return None
    team, sep, _ = entry.reason[len(_TEAM_PREFIX) :].partition(": ")
    return team if sep and team else None


@dataclass(frozen=True, slots=True)
class TeamRemoval:
    """A removal from a team that was sent (or about to be); ``team`` is its case-folded key."""

    team: str
    login: str
    requested_at: datetime


def removal_row(removal: TeamRemoval) -> dict[str, object]:
    """A removal intent as a ``team_removals`` row (outcome and resolution still empty)."""
    return {
        "team": removal.team.casefold(),
        "login_key": removal.login.casefold(),
        "login": removal.login,
        "requested_at": removal.requested_at,
    }


class TeamLedger:
    """Reads and writes ``team_removals`` and ``team_facts``, each call one transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def open(self, removals: Iterable[TeamRemoval], audit: Iterable[AuditEntry] = ()) -> None:
        """Store removal intents (and their audit lines) before any request is sent."""
        rows = [removal_row(r) for r in removals]
        entries = [audit_row(entry) for entry in audit]
        with transaction(self._engine) as conn:
            if rows:
                conn.execute(sa.insert(team_removals_table), rows)
            if entries:
                conn.execute(sa.insert(audit_table), entries)

    def settle(
        self,
        outcomes: Iterable[tuple[str, str, str]],
        at: datetime,
        audit: Iterable[AuditEntry] = (),
    ) -> None:
        """Close the open intents of (team, login, outcome), with their audit lines."""
        table = team_removals_table
        entries = [audit_row(entry) for entry in audit]
        with transaction(self._engine) as conn:
            for team, login, outcome in outcomes:
                conn.execute(
                    sa.update(table)
                    .where(
                        table.c.team == team.casefold(),
                        table.c.login_key == login.casefold(),
                        table.c.resolved_at.is_(None),
                    )
                    .values(outcome=outcome, resolved_at=at)
                )
            if entries:
                conn.execute(sa.insert(audit_table), entries)

    def unresolved(self) -> list[TeamRemoval]:
        """Removals sent but never settled, oldest first."""
        table = team_removals_table
        query = (
            sa.select(table.c.team, table.c.login, table.c.requested_at)
            .where(table.c.resolved_at.is_(None))
            .order_by(table.c.requested_at, table.c.id)
        )
        with transaction(self._engine) as conn:
            rows = conn.execute(query).all()
        return [TeamRemoval(r.team, r.login, r.requested_at) for r in rows]

    def removals(self) -> list[tuple[str, str, str | None]]:
        """Every stored removal as (team, login, outcome), in the order they were stored."""
        table = team_removals_table
        query = sa.select(table.c.team, table.c.login, table.c.outcome).order_by(table.c.id)
        with transaction(self._engine) as conn:
            return [(r.team, r.login, r.outcome) for r in conn.execute(query)]

    def idp_managed(self) -> frozenset[str]:
        """The teams (case-folded keys) GitHub refused a removal from for team sync."""
        table = team_facts_table
        query = sa.select(table.c.team).where(table.c.refusal == IDP_MANAGED)
        with transaction(self._engine) as conn:
            return frozenset(row.team for row in conn.execute(query))

    def learn_idp_managed(self, team: str, at: datetime) -> None:
        """Remember that an identity provider manages ``team`` (replacing what was known)."""
        key = team.casefold()
        table = team_facts_table
        with transaction(self._engine) as conn:
            conn.execute(sa.delete(table).where(table.c.team == key))
            conn.execute(sa.insert(table).values(team=key, refusal=IDP_MANAGED, learnt_at=at))
