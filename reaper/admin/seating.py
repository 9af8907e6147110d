"""Giving seats back on GitHub: who got one, and who GitHub refused and why.

Usernames go at most ``CHUNK`` a request. GitHub answers a request naming one user it will
not seat with 422 for the whole request, so a refused request is split in halves until the
refused names stand alone: a few refused people among a hundred cost a few requests each,
not a hundred. When GitHub says it created fewer seats than asked (someone already had one,
or was skipped without a word), each of those users is read again to learn who really
holds a live seat now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reaper.errors import GitHubNotFoundError, GitHubUnprocessableError

if TYPE_CHECKING:
    from reaper.github import GitHubClient

#: At most this many usernames in one request.
CHUNK = 100


@dataclass
class Seating:
    """What became of the users asked for in one scope."""

    seated: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # login: GitHub's reason

    def merge(self, other: Seating) -> None:
        """Add another request's outcome to this one."""
        self.seated += other.seated
        self.refused.update(other.refused)


def chunks(logins: list[str]) -> list[list[str]]:
    """``logins`` cut into requests of at most ``CHUNK`` usernames."""
    return [logins[start : start + CHUNK] for start in range(0, len(logins), CHUNK)]


def give_chunk(client: GitHubClient, scope: str, logins: list[str]) -> Seating:
    """One request for ``logins`` (at most ``CHUNK``), split in halves when GitHub refuses it.

    Errors other than a refusal (the token, GitHub unavailable, an unreadable answer)
    propagate: the caller has recorded the chunks before, and stops.
    """
    try:
        created = client.add_seats(scope, logins)
    except GitHubUnprocessableError as exc:
        if len(logins) == 1:
            return Seating(refused={logins[0]: github_reason(exc)})
        half = len(logins) // 2
        outcome = give_chunk(client, scope, logins[:half])
        outcome.merge(give_chunk(client, scope, logins[half:]))
        return outcome
    except GitHubNotFoundError as exc:
        # The org or enterprise is unknown to GitHub or hidden from the token: nobody here
        # can be seated there, whoever they are.
        return Seating(refused=dict.fromkeys(logins, github_reason(exc)))
    if created >= len(logins):
        return Seating(seated=list(logins))
    return reread(client, scope, logins, created)


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
