"""A complete view of a person: decided only when every scope holding a grant was read.

Pure: which scopes were read completely this cycle, and what the store remembers of earlier
cycles, go in; who waits, and what to remember now, come out. Scopes are compared
case-folded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reaper.core.domain import is_enterprise, scope_label

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from reaper.core.domain import Person


@dataclass(frozen=True, slots=True)
class View:
    """Which grant scopes this cycle's lists show completely.

    ``read`` holds the keys of the lists read completely, ``unread`` those that were not.
    A grant's scope is incomplete when its own list was not read completely, or when it is
    an organisation whose own list was not read while the enterprise's list (which holds
    every grant of the enterprise's organisations) was not read either. A scope this cycle
    never reads for itself (an organisation covered by the enterprise's list, or one no
    longer configured) is complete: the lists that were read say all there is to know.
    """

    read: frozenset[str]
    unread: frozenset[str]

    @classmethod
    def of(cls, read: Iterable[str], unread: Iterable[str]) -> View:
        """A view from the list keys read completely and those that were not."""
        return cls(frozenset(k.casefold() for k in read), frozenset(k.casefold() for k in unread))

    def complete(self, scope: str) -> bool:
        """Tell whether this cycle's lists show every grant of ``scope``."""
        key = scope.casefold()
        if key in self.read:
            return True
        if key in self.unread:
            return False
        enterprise_unread = any(is_enterprise(k) for k in self.unread)
        return is_enterprise(key) or not enterprise_unread

    def missing(self, scopes: Iterable[str]) -> tuple[str, ...]:
        """The scopes, of these, that this cycle's lists do not show completely."""
        return tuple(dict.fromkeys(s.casefold() for s in scopes if not self.complete(s)))


def waiting_reason(missing: tuple[str, ...]) -> str:
    """Why a person waits: the scopes whose lists were not read completely."""
    labels = ", ".join(scope_label(s) for s in missing)
    return f"waiting for a complete view: the seat list of {labels} was not read completely"


def remembered_now(
    view: View,
    persons: Mapping[str, Person],
    remembered: Mapping[str, frozenset[str]],
) -> dict[str, frozenset[str]]:
    """Where each person holds grants after this cycle, by case-folded login.

    A scope read completely this cycle tells the truth about it; a scope that was not keeps
    what was remembered of it. Persons left with no scope are not kept.
    """
    held: dict[str, frozenset[str]] = {}
    for key in persons.keys() | remembered.keys():
        person = persons.get(key)
        seen = {g.org.casefold() for g in person.grants} if person else set()
        kept = {s for s in remembered.get(key, ()) if not view.complete(s)}
        scopes = frozenset({s for s in seen if view.complete(s)} | kept)
        if scopes:
            held[key] = scopes
    return held


def changes(
    before: Mapping[str, frozenset[str]], after: Mapping[str, frozenset[str]]
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The (login, scope) pairs gained and lost between two memories, for the store."""
    gained = [(k, s) for k, scopes in after.items() for s in scopes - before.get(k, frozenset())]
    lost = [(k, s) for k, scopes in before.items() for s in scopes - after.get(k, frozenset())]
    return sorted(gained), sorted(lost)
