"""Where simulated seats live: organisations and enterprises, each with records in list order.

An org holds at most one record per user. An enterprise holds the grants made at enterprise
level: at most one direct grant per user, plus one per enterprise team that grants the user.
Its list shows the records of every member org followed by those.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reaper.simulator import github_objects as objects


def pick(records: list[dict[str, Any]], team: str | None) -> dict[str, Any] | None:
    """With ``team``: the grant through that team; without: the direct grant, else the first."""
    if team is not None:
        wanted = team.lower()
        return next((r for r in records if (objects.team_of(r) or "").lower() == wanted), None)
    direct = next((r for r in records if objects.team_of(r) is None), None)
    return direct if direct is not None else next(iter(records), None)


def persons(records: list[Any]) -> int:
    """How many users hold ``records``, as an enterprise's ``total_seats`` counts them.

    Logins count once (case-insensitive); records without a readable login once each.
    """
    logins = [objects.login_of(r) for r in records]
    return len({login.lower() for login in logins if login}) + logins.count(None)


class _Seats:
    """Lookups shared by orgs and enterprises over their ``seats`` records.

    Records come and go through ``add`` and ``drop``, which bump ``revision`` (what a cached
    listing is keyed on) and keep a per-login index, so a lookup need not walk the list. The
    index is rebuilt whenever the list's length says it was changed some other way.
    """

    seats: list[Any]
    revision: int = 0
    _index: dict[str, list[dict[str, Any]]] | None = None
    _indexed: int = -1  # how many records the index covers

    def add(self, record: Any) -> None:
        """Append ``record`` to the list (and to the index)."""
        current = self._current()
        self.seats.append(record)
        self.revision += 1
        if current is not None:
            _index_one(current, record)
            self._indexed = len(self.seats)

    def drop(self, record: dict[str, Any]) -> None:
        """Remove ``record`` (this very object) from the list."""
        self.seats.remove(record)
        self.revision += 1
        self._index = None

    def grants(self, login: str) -> list[dict[str, Any]]:
        """Every record of ``login`` (case-insensitive), in list order."""
        current = self._current()
        if current is None:
            current = self._index = {}
            for record in self.seats:
                _index_one(current, record)
            self._indexed = len(self.seats)
        return list(current.get(login.lower(), ()))

    def find(self, login: str, team: str | None = None) -> dict[str, Any] | None:
        """The record of ``login``; see ``pick`` for how ``team`` chooses among several."""
        return pick(self.grants(login), team)

    def _current(self) -> dict[str, list[dict[str, Any]]] | None:
        return self._index if self._indexed == len(self.seats) else None


def _index_one(index: dict[str, list[dict[str, Any]]], record: Any) -> None:
    name = objects.login_of(record)
    if name is not None:
        assert isinstance(record, dict)
        index.setdefault(name.lower(), []).append(record)


@dataclass
class Org(_Seats):
    """One organisation's Copilot subscription and its seat records, in list order."""

    login: str
    seat_management_setting: str
    plan_type: str
    public_code_suggestions: str
    seats: list[Any] = field(default_factory=list)
    enterprise: str | None = None  # the slug of the enterprise the org belongs to


@dataclass
class Enterprise(_Seats):
    """An enterprise: its member orgs (lower-cased logins) and its enterprise-level grants."""

    slug: str
    plan_type: str = "enterprise"
    orgs: list[str] = field(default_factory=list)
    seats: list[Any] = field(default_factory=list)
    # The list as last served and its person count, with the key they were built for.
    listing: tuple[Any, list[Any], int] | None = field(default=None, repr=False, compare=False)
