"""Turning GitHub's seat records into ``Seat`` values, and reading every seat of an org."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from reaper.domain import BadSeat, Seat
from reaper.errors import GitHubError

if TYPE_CHECKING:
    from reaper.github.client import GitHubClient

_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:_[A-Za-z0-9-]{1,39})?$")
_MAX_TEXT = 200


class _UnreadableError(ValueError):
    pass


def _timestamp(record: dict[str, Any], name: str, *, required: bool) -> datetime | None:
    value = record.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise _UnreadableError(f"{name} is not a timestamp")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _UnreadableError(f"{name} is not a timestamp") from None
    if parsed.tzinfo is None:
        raise _UnreadableError(f"{name} has no time zone")
    return parsed.astimezone(UTC)


def _text(record: dict[str, Any], name: str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _UnreadableError(f"{name} is not text")
    return value[:_MAX_TEXT]


def _team(record: dict[str, Any]) -> str | None:
    team = record.get("assigning_team")
    if team is None:
        return None
    if not (isinstance(team, dict) and isinstance(team.get("slug"), str) and team["slug"]):
        raise _UnreadableError("assigning_team has no slug")
    return str(team["slug"])[:_MAX_TEXT]


def _pending(record: dict[str, Any]) -> str | None:
    pending = _text(record, "pending_cancellation_date")
    if pending is not None:
        try:
            date.fromisoformat(pending)
        except ValueError:
            raise _UnreadableError("pending_cancellation_date is not a date") from None
    return pending


def _login(record: dict[str, Any]) -> str | None:
    assignee = record.get("assignee")
    if not isinstance(assignee, dict):
        return None
    login = assignee.get("login")
    return login if isinstance(login, str) and _LOGIN.match(login) else None


def parse_seat(org: str, record: object) -> Seat | BadSeat:
    """Validate one seat record; anything doubtful becomes a ``BadSeat`` that is never acted on."""
    if not isinstance(record, dict):
        return BadSeat(org, None, "seat record is not an object")
    login = _login(record)
    if login is None:
        return BadSeat(org, None, "seat has no readable assignee login")
    try:
        pending = _pending(record)
        created_at = _timestamp(record, "created_at", required=True)
        assert created_at is not None
        return Seat(
            org=org,
            login=login,
            created_at=created_at,
            last_activity_at=_timestamp(record, "last_activity_at", required=False),
            last_activity_editor=_text(record, "last_activity_editor"),
            pending_cancellation_date=pending,
            assigning_team=_team(record),
            plan_type=_text(record, "plan_type") or "unknown",
        )
    except _UnreadableError as exc:
        return BadSeat(org, login, str(exc))


@dataclass(slots=True)
class OrgScan:
    """Everything read from one org's seat list; ``error`` set means the scan is incomplete."""

    org: str
    seats: list[Seat] = field(default_factory=list)
    bad: list[BadSeat] = field(default_factory=list)
    total_seats: int = 0
    error: str | None = None

    @property
    def complete(self) -> bool:
        """Tell whether every page was read and the list can be trusted."""
        return self.error is None


def scan_org(client: GitHubClient, org: str) -> OrgScan:
    """Read every seat of ``org``; a failure on any page marks the scan incomplete."""
    scan = OrgScan(org)
    seen: set[str] = set()
    try:
        for page in client.iter_seat_pages(org):
            scan.total_seats = max(scan.total_seats, page.total_seats)
            for record in page.seats:
                parsed = parse_seat(org, record)
                if isinstance(parsed, BadSeat):
                    scan.bad.append(parsed)
                    continue
                if parsed.login.casefold() in seen:
                    scan.error = f"seat of {parsed.login} listed twice: the list changed while read"
                    return scan
                seen.add(parsed.login.casefold())
                scan.seats.append(parsed)
    except GitHubError as exc:
        scan.error = str(exc)
        return scan
    read = len(scan.seats) + len(scan.bad)
    if read < scan.total_seats:
        scan.error = f"read {read} seats but GitHub counts {scan.total_seats}"
    return scan
