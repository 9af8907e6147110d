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

import httpx

from reaper.errors import GitHubError, GitHubUnavailableError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

MAX_LINE_BYTES = 1024 * 1024
_COUNTS = (
    "user_initiated_interaction_count",
    "code_generation_activity_count",
    "code_acceptance_activity_count",
)
_USED = ("used_chat", "used_agent", "used_cli", "used_copilot_code_review_active")


@dataclass(slots=True)
class UsageScan:
    """What the report files say of the wanted persons: each one's latest active day."""

    latest: dict[str, date] = field(default_factory=dict)  # by case-folded login
    records: int = 0
    bad: int = 0


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
        if login not in keys or not is_active(record):
            continue
        try:
            day = date.fromisoformat(str(record.get("day")))
        except ValueError:
            scan.bad += 1
            continue
        if login not in scan.latest or day > scan.latest[login]:
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
