"""GitHub's 28-day users usage report files: streamed, each line bounded, only wanted persons kept.

The report's REST answer gives signed download links; each file is NDJSON, one record per
user and day. A file can be tens of MB, far larger than any API answer, so it is read as a
stream: each line is bounded (a line over ``MAX_LINE_BYTES`` is a bad record, skipped), the
file is not, and only the records of the persons asked about are kept, so memory does not
grow with the organisation. A link is fetched with a client of its own: no GitHub token and
no custom header ever go to it (the link is signed), with the GitHub timeouts and an overall
deadline checked between chunks.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from reaper.core.domain import is_enterprise, scope_label, scope_name
from reaper.core.usage import day_bit
from reaper.errors import GitHubError, GitHubUnavailableError
from reaper.github.answers import json_body

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from reaper.github.client import GitHubClient

MAX_LINE_BYTES = 1024 * 1024
_COUNTS = (
    "user_initiated_interaction_count",
    "code_generation_activity_count",
    "code_acceptance_activity_count",
)
_USED = ("used_chat", "used_agent", "used_cli", "used_copilot_code_review_active")


@dataclass(slots=True)
class UsageScan:
    """What the report files say of the wanted persons: each one's latest active day.

    With ``holders`` (case-folded logins) and ``start`` (the report's first day), ``days``
    also keeps, for each holder seen active, a 28-bit mask of their active days (light use):
    one small integer per active seat holder, never the records themselves.
    """

    latest: dict[str, date] = field(default_factory=dict)  # by case-folded login
    records: int = 0
    bad: int = 0
    holders: frozenset[str] = frozenset()
    start: date | None = None
    days: dict[str, int] = field(default_factory=dict)


def is_active(record: dict[str, Any]) -> bool:
    """Tell whether a person-day record shows use: any interaction, generation, chat, agent..."""
    counts = (record.get(name) for name in _COUNTS)
    if any(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in counts):
        return True
    return any(record.get(name) is True for name in _USED)


def lines(chunks: Iterable[bytes], max_line: int = MAX_LINE_BYTES) -> Iterator[bytes | None]:
    """Split a byte stream into lines; ``None`` stands for a line longer than ``max_line``."""
    buffer = bytearray()
    skipping = False
    for chunk in chunks:
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            piece = chunk[start:] if end < 0 else chunk[start:end]
            if not skipping:
                buffer += piece
                if len(buffer) > max_line:
                    skipping = True
                    buffer.clear()
            if end < 0:
                break
            if skipping:
                yield None
            elif buffer.strip():
                yield bytes(buffer)
            buffer.clear()
            skipping = False
            start = end + 1
    if skipping:
        yield None
    elif buffer.strip():
        yield bytes(buffer)


def read_report(
    chunks: Iterable[bytes], wanted: Iterable[str], scan: UsageScan | None = None
) -> UsageScan:
    """Keep, for each wanted login, the latest day the report shows them active."""
    keys = {login.casefold() for login in wanted}
    scan = scan if scan is not None else UsageScan()
    for line in lines(chunks):
        scan.records += 1
        if line is None:
            scan.bad += 1
            continue
        try:
            record = json.loads(line)
            login = record["user_login"].casefold()
        except (ValueError, KeyError, TypeError, AttributeError):
            scan.bad += 1
            continue
        counted = scan.start is not None and login in scan.holders
        if (login not in keys and not counted) or not is_active(record):
            continue
        try:
            day = date.fromisoformat(str(record.get("day")))
        except ValueError:
            scan.bad += 1
            continue
        if counted and scan.start is not None:
            scan.days[login] = scan.days.get(login, 0) | day_bit(day, scan.start)
        if login in keys and (login not in scan.latest or day > scan.latest[login]):
            scan.latest[login] = day
    return scan


def download(
    url: str,
    wanted: Iterable[str],
    *,
    timeout: float,
    scan: UsageScan | None = None,
    transport: httpx.BaseTransport | None = None,
) -> UsageScan:
    """Stream one signed report file, without the GitHub token or any custom header.

    Raises ``GitHubUnavailableError`` when the link answers other than 200 (an expired link
    answers 403) or the download fails or passes ``timeout`` in all.
    """
    deadline = time.monotonic() + timeout
    limits = httpx.Timeout(timeout)
    try:
        with (
            httpx.Client(timeout=limits, transport=transport, trust_env=False) as http,
            http.stream("GET", url) as answer,
        ):
            if answer.status_code != httpx.codes.OK:
                raise GitHubUnavailableError(
                    f"a usage report link answered {answer.status_code} (it may have expired)"
                )
            return read_report(_until(answer.iter_bytes(), deadline), wanted, scan)
    except httpx.HTTPError as exc:
        raise GitHubUnavailableError(
            f"a usage report file could not be read: {type(exc).__name__}"
        ) from None


def _until(chunks: Iterator[bytes], deadline: float) -> Iterator[bytes]:
    for chunk in chunks:
        if time.monotonic() > deadline:
            raise GitHubError("a usage report file took longer than the GitHub timeout")
        yield chunk


# -- the report's REST answer: where the files are ------------------------------------------

ORG_ENABLE = (
    'turn on the "Copilot usage metrics" policy and give the token "Organization Copilot '
    'metrics: read" (or "View Organization Copilot Metrics"; a classic token: read:org)'
)
ENTERPRISE_ENABLE = (
    'turn on the "Copilot usage metrics" policy and give the token "View Enterprise Copilot '
    'Metrics" (a classic token: manage_billing:copilot or read:enterprise)'
)


class UsageUnavailableError(GitHubUnavailableError):
    """A scope's usage report cannot be read: why, and what would enable it."""


@dataclass(frozen=True, slots=True)
class ReportLinks:
    """The latest 28-day users report of a scope: its signed download links and its days."""

    links: tuple[str, ...]
    start: date
    end: date


def report_path(scope: str) -> str:
    """The path of a scope's latest 28-day users report (org or enterprise)."""
    kind = "enterprises" if is_enterprise(scope) else "orgs"
    return f"{kind}/{quote(scope_name(scope), safe='')}/copilot/metrics/reports/users-28-day/latest"


def enable_hint(scope: str) -> str:
    """What would let the reaper read a scope's usage report."""
    return ENTERPRISE_ENABLE if is_enterprise(scope) else ORG_ENABLE


def latest_report(client: GitHubClient, scope: str) -> ReportLinks:
    """Ask GitHub for the latest 28-day users report of ``scope``.

    Raises ``UsageUnavailableError`` saying why (403 or 404: the policy is off or the token
    lacks the permission; 404 or an empty 204: no report yet) and what would enable it.
    """
    label = scope_label(scope)
    try:
        response = client.session.request("GET", report_path(scope))
    except GitHubError as exc:
        if exc.status in (403, 404):
            yet = ", or no report exists yet" if exc.status == 404 else ""
            raise UsageUnavailableError(
                f"the usage report of {label} answered {exc.status}: the policy may be off or "
                f"the token lacks the permission{yet}; to enable it, {enable_hint(scope)}",
                status=exc.status,
            ) from None
        raise UsageUnavailableError(
            f"the usage report of {label} could not be read: {exc}", status=exc.status
        ) from None
    if response.status_code == httpx.codes.NO_CONTENT or not response.content:
        raise UsageUnavailableError(
            f"GitHub has no usage report of {label} yet ({response.status_code}, empty)",
            status=response.status_code,
        )
    return _links(json_body(response), label)


def _links(body: Any, label: str) -> ReportLinks:
    bad = UsageUnavailableError(f"the usage report answer of {label} is not readable")
    if not isinstance(body, dict):
        raise bad
    links, start, end = (
        body.get(k) for k in ("download_links", "report_start_day", "report_end_day")
    )
    if not isinstance(links, list) or not all(isinstance(u, str) and u for u in links):
        raise bad
    try:
        return ReportLinks(
            tuple(links), date.fromisoformat(str(start)), date.fromisoformat(str(end))
        )
    except ValueError:
        raise bad from None
