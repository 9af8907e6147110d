"""Giving seats back on GitHub: who got one, and who GitHub refused and why.

Usernames go as ``reaper.github.batches`` sends them: at most ``CHUNK`` a request, a refused
request split in halves until the refused names stand alone. When GitHub says it created
fewer seats than asked (someone already had one, or was skipped without a word), each of
those users is read again to learn who really holds a live seat now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reaper.errors import GitHubError, GitHubNotFoundError, GitHubUnprocessableError
from reaper.github.batches import halving

if TYPE_CHECKING:
    from reaper.github import GitHubClient


@dataclass
class Seating:
    """What became of the users asked for in one scope."""

    seated: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # login: GitHub's reason


def give_chunk(client: GitHubClient, scope: str, logins: list[str]) -> Seating:
    """One request for ``logins`` (at most ``CHUNK``), split in halves when GitHub refuses it.

    A refused name, or every name of a scope GitHub does not know (404), is refused. Other
    errors (the token, GitHub unavailable, an unreadable answer) propagate: the caller has
    recorded the chunks before, and stops.
    """
    outcome = Seating()
    for batch, answer in halving(lambda names: client.add_seats(scope, names), logins, scope=scope):
        if isinstance(answer, GitHubUnprocessableError | GitHubNotFoundError):
            # 404: the org or enterprise is unknown or hidden from the token: nobody is seated.
            outcome.refused.update(dict.fromkeys(batch, github_reason(answer)))
        elif isinstance(answer, GitHubError):
            raise answer
        elif answer >= len(batch):
            outcome.seated += batch
        else:
            reread_outcome = reread(client, scope, batch, answer)
            outcome.seated += reread_outcome.seated
            outcome.refused.update(reread_outcome.refused)
    return outcome


def reread(client: GitHubClient, scope: str, logins: list[str], created: int) -> Seating:
    """Read each user again after GitHub created fewer seats than asked."""
    outcome = Seating()
    for login in logins:
        try:
            record = client.get_seat(scope, login)
        except GitHubUnprocessableError as exc:  # e.g. an invitation still pending
            outcome.refused[login] = github_reason(exc)
            continue
        if holds_live_seat(record):
            outcome.seated.append(login)
        else:
            outcome.refused[login] = (
                f"it created {created} of the {len(logins)} seats asked in that request, "
                "and this user holds none"
            )
    return outcome


def holds_live_seat(record: object) -> bool:
    """Tell whether a re-read seat record is a seat with no cancellation pending."""
    return isinstance(record, dict) and not record.get("pending_cancellation_date")


def github_reason(exc: Exception) -> str:
    """GitHub's own words from a client error (after the ``(422): `` of its message)."""
    text = str(exc)
    _, sep, said = text.partition("): ")
    return (said if sep else text).strip() or text
