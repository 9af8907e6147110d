"""Confirming team removals: whether the grant a team made is still live once it is left.

GitHub puts the seat a team granted into pending cancellation when the membership goes. Each
removed person's grants are read again, from the whole seat list when that costs fewer
requests than one read per person (``reaper.core.budget.recheck_by_list``); a person whose
grants cannot be read again is noted, and keeps their flag.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reaper.core import budget
from reaper.core.domain import BadSeat
from reaper.core.teams import grant_team, team_scope
from reaper.errors import GitHubError
from reaper.github import parse_seat, scan_org
from reaper.store.teams import REMOVED

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from reaper.core.domain import Seat
    from reaper.github import GitHubClient

SENT = "sent"


@dataclass
class TeamResults:
    """What happened to each (login, team key): an outcome and a detail."""

    outcomes: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    still_live: set[tuple[str, str]] = field(default_factory=set)
    unread: dict[str, str] = field(default_factory=dict)  # login -> why the re-read failed

    def gone(self, login: str) -> frozenset[str]:
        """The team keys whose grant of ``login`` is confirmed gone."""
        return frozenset(
            key
            for (who, key), (outcome, _) in self.outcomes.items()
            if who == login and outcome == REMOVED and (who, key) not in self.still_live
        )

    def problems(self, login: str) -> list[tuple[str, str, str]]:
        """(team key, outcome, detail) of every removal of ``login`` that did not go through."""
        return [
            (key, outcome, detail)
            for (who, key), (outcome, detail) in self.outcomes.items()
            if who == login and outcome != REMOVED
        ]


def confirm(
    github: GitHubClient,
    enterprise: str | None,
    results: TeamResults,
    pages: Mapping[str, int],
    sleep: Callable[[float], None],
) -> None:
    """Read again the grants of every person removed, to see whether the team's grant is live."""
    sent: dict[str, set[str]] = {}
    for (login, key), (outcome, _) in results.outcomes.items():
        if outcome == SENT:
            sent.setdefault(login, set()).add(key)
    by_scope: dict[str, list[str]] = {}
    for login, keys in sent.items():
        for scope in {team_scope(k, enterprise) for k in keys}:
            by_scope.setdefault(scope, []).append(login)
    for scope, logins in by_scope.items():
        seats = _reread(github, scope, logins, pages.get(scope), sleep=sleep, results=results)
        for login in logins:
            for seat in seats.get(login.casefold(), []):
                team = grant_team(seat)
                if seat.live and team is not None and team in sent[login]:
                    results.still_live.add((login, team))
    for login, keys in sent.items():
        for key in keys:
            results.outcomes[login, key] = (REMOVED, "")


def _reread(
    github: GitHubClient,
    scope: str,
    logins: list[str],
    pages: int | None,
    *,
    sleep: Callable[[float], None],
    results: TeamResults,
) -> dict[str, list[Seat]]:
    """The seats of ``logins`` in ``scope`` now: from the whole list when that is cheaper."""
    found: dict[str, list[Seat]] = {}
    if pages is not None and budget.recheck_by_list(len(logins), pages):
        scan = scan_org(github, scope, sleep=sleep)
        if scan.complete:
            wanted = {login.casefold() for login in logins}
            for bad in scan.bad:
                if bad.login and bad.login.casefold() in wanted:
                    results.unread[bad.login] = f"the re-read record is unreadable: {bad.reason}"
            for seat in scan.seats:
                if seat.login.casefold() in wanted:
                    found.setdefault(seat.login.casefold(), []).append(seat)
            return found
    for login in logins:
        try:
            records = github.get_grants(scope, login)
        except GitHubError as exc:
            results.unread[login] = str(exc)
            continue
        for record in records:
            read = parse_seat(scope, record)
            if isinstance(read, BadSeat):
                results.unread[login] = f"the re-read record is unreadable: {read.reason}"
            else:
                found.setdefault(login.casefold(), []).append(read)
    return found
