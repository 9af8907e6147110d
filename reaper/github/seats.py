"""Turning GitHub's seat records into ``Seat`` values, and reading every seat of an org."""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from reaper.core.domain import BadSeat, Seat, is_enterprise
from reaper.errors import GitHubError
from reaper.logs import get_logger

if TYPE_CHECKING:
    from collections.abc import Callable

    from reaper.github.client import GitHubClient

log = get_logger(__name__)
# Waits before reading a list again that changed while it was read (three reads in all).
RESCAN_WAITS = (2.0, 5.0)

_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:_[A-Za-z0-9-]{1,39})?")
_MAX_TEXT = 200
# Control characters, lone surrogates (invalid in UTF-8) and bidirectional overrides: shown as
# U+FFFD, so no text from GitHub can break a log line, the database or a report.
_UNSAFE_TEXT = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
# Timestamps outside this fixed window make the seat a BadSeat. Copilot dates from 2021; the
# window keeps every date centuries away from datetime's limits, so no later arithmetic (due
# dates, idle days, the store) can overflow, whatever the clock says.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


class _UnreadableError(ValueError):
    pass


def _timestamp(record: dict[str, Any], name: str, *, required: bool) -> datetime | None:
    """An aware UTC datetime between ``EARLIEST`` and ``LATEST``, else ``_UnreadableError``."""
    value = record.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise _UnreadableError(f"{name} is not a timestamp")
    try:
        parsed = datetime.fromisoformat(value)
        utc = parsed.astimezone(UTC) if parsed.tzinfo is not None else None
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 shifted by its offset
        raise _UnreadableError(f"{name} is not a timestamp") from None
    if utc is None:
        raise _UnreadableError(f"{name} has no time zone")
    if not EARLIEST <= utc < LATEST:
        raise _UnreadableError(f"{name} is out of range (1970 to 2200)")
    return utc


def _clean(value: str) -> str:
    return _UNSAFE_TEXT.sub("\ufffd", value[:_MAX_TEXT])


def _text(record: dict[str, Any], name: str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _UnreadableError(f"{name} is not text")
    return _clean(value)


def _team(record: dict[str, Any]) -> str | None:
    team = record.get("assigning_team")
    if team is None:
        return None
    if not (isinstance(team, dict) and isinstance(team.get("slug"), str) and team["slug"]):
        raise _UnreadableError("assigning_team has no slug")
    return _clean(team["slug"])


def _pending(record: dict[str, Any]) -> str | None:
    """The pending cancellation date as ``YYYY-MM-DD``, within the timestamp window."""
    pending = _text(record, "pending_cancellation_date")
    if pending is None:
        return None
    try:
        day = date.fromisoformat(pending)
    except ValueError:
        raise _UnreadableError("pending_cancellation_date is not a date") from None
    if not EARLIEST.date() <= day < LATEST.date():
        raise _UnreadableError("pending_cancellation_date is out of range (1970 to 2200)")
    return day.isoformat()


def _login(record: dict[str, Any]) -> str | None:
    assignee = record.get("assignee")
    if not isinstance(assignee, dict):
        return None
    login = assignee.get("login")
    return login if isinstance(login, str) and _LOGIN.fullmatch(login) else None


def _grantor(scope: str, record: dict[str, Any]) -> str:
    """The scope that grants a record: the org an enterprise's record names, else ``scope``.

    ``scope`` is where the record was read from: an org's list, or an enterprise's list for
    a grant made at the enterprise (directly or through an enterprise team).
    """
    if not is_enterprise(scope):
        return scope
    organization = record.get("organization")
    if organization is None:
        return scope
    login = organization.get("login") if isinstance(organization, dict) else None
    if not isinstance(login, str) or not _LOGIN.fullmatch(login):
        raise _UnreadableError("organization has no readable login")
    return login


def _shared(text: str | None) -> str | None:
    """One string object for every seat with the same value (editors, plans, teams, orgs).

    These repeat across a list: 100,000 seats would otherwise hold 100,000 copies of
    "business" and of each editor's version string (issue 21: about 13 MB).
    """
    return None if text is None else sys.intern(text)


def parse_seat(org: str, record: object) -> Seat | BadSeat:
    """Validate one seat record; anything doubtful becomes a ``BadSeat`` that is never acted on.

    ``org`` is the scope the record was read from; a record of an enterprise's list is
    attributed to the org that grants it, or to the enterprise for an enterprise-level grant.

    Never raises, whatever JSON the record holds. Timestamps must carry a time zone and lie
    between ``EARLIEST`` (1970) and ``LATEST`` (2200); texts are cut to 200 characters and
    control characters replaced.
    """
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
            org=sys.intern(_grantor(org, record)),
            login=login,
            created_at=created_at,
            last_activity_at=_timestamp(record, "last_activity_at", required=False),
            last_activity_editor=_shared(_text(record, "last_activity_editor")),
            pending_cancellation_date=pending,
            assigning_team=_shared(_team(record)),
            plan_type=sys.intern(_text(record, "plan_type") or "unknown"),
            last_authenticated_at=_timestamp(record, "last_authenticated_at", required=False),
        )
    except _UnreadableError as exc:
        return BadSeat(org, login, str(exc))


@dataclass(slots=True)
class OrgScan:
    """Everything read from one seat list (an org's or an enterprise's); ``error``: incomplete.

    An enterprise's list holds one record per grant, so ``total_seats`` (GitHub counts
    persons) is checked against the persons read, not the records.

    ``changed`` tells that the list was inconsistent (a login twice, a count that does not
    match, pages that disagree): it changed while it was read, and reading again may help.
    """

    org: str
    seats: list[Seat] = field(default_factory=list)
    bad: list[BadSeat] = field(default_factory=list)
    total_seats: int = 0
    error: str | None = None
    changed: bool = False
    attempts: int = 1
    records: int = 0  # as listed: one per grant
    pages: int = 0

    @property
    def complete(self) -> bool:
        """Tell whether every page was read and the list can be trusted."""
        return self.error is None


def scan_org(
    client: GitHubClient, org: str, *, sleep: Callable[[float], None] = time.sleep
) -> OrgScan:
    """Read every seat of ``org``; a list that changed while read is read again, a few times.

    Each wait is logged (``org.rescan_scheduled``); when the list still changes after
    ``len(RESCAN_WAITS) + 1`` reads, the scan is incomplete and nothing is done with it.
    """
    scan = _read_once(client, org)
    for attempt, wait in enumerate(RESCAN_WAITS, start=2):
        if not scan.changed:
            break
        log.warning(
            "org.rescan_scheduled", org=org, attempt=attempt, wait_seconds=wait, reason=scan.error
        )
        sleep(wait)
        scan = _read_once(client, org)
        scan.attempts = attempt
    return scan


def _read_once(client: GitHubClient, org: str) -> OrgScan:
    """Read the list once; a failure on any page or an inconsistency marks it incomplete."""
    scan = OrgScan(org)
    seen: set[tuple[str, str, str | None]] = set()  # one record per person and grantor
    persons: set[str] = set()
    totals: set[int] = set()
    try:
        for page in client.iter_seat_pages(org, read_ahead=True):
            scan.pages += 1
            totals.add(page.total_seats)
            scan.total_seats = max(scan.total_seats, page.total_seats)
            for record in page.seats:
                scan.records += 1
                parsed = parse_seat(org, record)
                if isinstance(parsed, BadSeat):
                    scan.bad.append(parsed)
                    persons.add(parsed.login.casefold() if parsed.login else f"#{scan.records}")
                    continue
                key = (parsed.login.casefold(), parsed.org.casefold(), parsed.assigning_team)
                if key in seen:
                    return _changed(scan, f"seat of {parsed.login} listed twice")
                seen.add(key)
                persons.add(key[0])
                scan.seats.append(parsed)
    except GitHubError as exc:
        scan.error = str(exc)
        return scan
    if len(totals) > 1:
        return _changed(scan, f"pages counted {sorted(totals)} seats")
    if len(persons) != scan.total_seats:
        return _changed(scan, f"read {len(persons)} seats but GitHub counts {scan.total_seats}")
    return scan


def _changed(scan: OrgScan, what: str) -> OrgScan:
    scan.error = f"{what}: the list changed while it was read"
    scan.changed = True
    return scan
