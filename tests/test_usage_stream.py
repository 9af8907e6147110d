"""Usage report files (reaper.github.usage): streamed over real HTTP on loopback, lines bounded."""

from __future__ import annotations

import json
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from reaper.errors import GitHubUnavailableError
from reaper.github.usage import (
    MAX_LINE_BYTES,
    UsageScan,
    download,
    is_active,
    lines,
    read_report,
)
from reaper.redact import scrub

if TYPE_CHECKING:
    from collections.abc import Iterator


class _Files(BaseHTTPRequestHandler):
    """Serves ``files[path]`` (status, body) in 64 KB chunks, recording each request's headers."""

    files: ClassVar[dict[str, tuple[int, bytes]]] = {}
    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        """Answer one download."""
        self.seen.append({k.lower(): v for k, v in self.headers.items()})
        status, body = self.files.get(self.path, (404, b""))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        for start in range(0, len(body), 65536):
            self.wfile.write(body[start : start + 65536])

    def log_message(self, *_args: Any) -> None:
        """Stay quiet."""


@pytest.fixture
def files() -> Iterator[tuple[str, type[_Files]]]:
    """A loopback file server: its base URL and the handler class holding files and requests."""
    _Files.files, _Files.seen = {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Files
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def record(login: str, day: str, **fields: Any) -> bytes:
    """One NDJSON line of the report."""
    base = {"user_login": login, "user_id": 1, "day": day, "user_initiated_interaction_count": 0}
    return json.dumps(base | fields).encode() + b"\n"


@pytest.mark.parametrize(
    ("fields", "active"),
    [
        ({"user_initiated_interaction_count": 3}, True),
        ({"code_generation_activity_count": 1}, True),
        ({"code_acceptance_activity_count": 2}, True),
        ({"used_chat": True}, True),
        ({"used_agent": True}, True),
        ({"used_cli": True}, True),
        ({"used_copilot_code_review_active": True}, True),
        ({}, False),
        ({"used_chat": False, "code_generation_activity_count": 0}, False),
        ({"user_initiated_interaction_count": True}, False),  # a bool is no count
        ({"user_initiated_interaction_count": "5"}, False),
    ],
)
def test_what_counts_as_use(fields: dict[str, Any], active: bool) -> None:
    """A day counts as use for any interaction, generation, chat, agent, CLI or code review."""
    assert is_active({"user_login": "ida", "day": "2026-06-01", **fields}) is active


def test_only_the_wanted_persons_are_kept_with_their_latest_active_day(
    files: tuple[str, type[_Files]],
) -> None:
    """Records of others are dropped; a wanted person keeps their latest day with use."""
    url, handler = files
    body = b"".join(
        [
            record("Idle-Ida", "2026-06-01", used_chat=True),
            record("idle-ida", "2026-06-05", user_initiated_interaction_count=4),
            record("idle-ida", "2026-06-07"),  # no use that day
            record("busy-bea", "2026-06-08", used_agent=True),
            record("idle-ivo", "2026-06-02"),
        ]
    )
    handler.files["/r1.ndjson"] = (200, body)
    scan = download(f"{url}/r1.ndjson", ["IDLE-IDA", "idle-ivo"], timeout=10)
    assert scan.latest == {"idle-ida": date(2026, 6, 5)}
    assert scan.records == 5
    assert scan.bad == 0


def test_no_token_or_custom_header_goes_to_a_download_link(
    files: tuple[str, type[_Files]],
) -> None:
    """A signed link is fetched with no Authorization, no API version, no GitHub header."""
    url, handler = files
    handler.files["/r.ndjson"] = (200, record("ida", "2026-06-01", used_cli=True))
    download(f"{url}/r.ndjson", ["ida"], timeout=10)
    (headers,) = handler.seen
    assert "authorization" not in headers
    assert not [name for name in headers if name.startswith("x-")]


def test_a_line_over_one_megabyte_is_a_bad_record_and_the_rest_is_read(
    files: tuple[str, type[_Files]],
) -> None:
    """A line longer than 1 MB is skipped and counted; the lines after it are still read."""
    url, handler = files
    huge = b'{"user_login": "ida", "pad": "' + b"x" * (MAX_LINE_BYTES + 10) + b'"}\n'
    body = record("ida", "2026-06-01", used_chat=True) + huge + b"not json\n"
    body += record("ida", "2026-06-09", used_chat=True)
    handler.files["/big.ndjson"] = (200, body)
    scan = download(f"{url}/big.ndjson", ["ida"], timeout=10)
    assert scan.bad == 2
    assert scan.latest == {"ida": date(2026, 6, 9)}


@pytest.mark.parametrize("status", [403, 404, 500])
def test_a_link_that_does_not_answer_200_is_unavailable(
    files: tuple[str, type[_Files]], status: int
) -> None:
    """An expired link (403), a missing file or a failure is GitHubUnavailableError, no URL."""
    url, handler = files
    handler.files["/gone.ndjson?sig=SECRETSIGNATURE"] = (status, b"denied")
    with pytest.raises(GitHubUnavailableError) as caught:
        download(f"{url}/gone.ndjson?sig=SECRETSIGNATURE", ["ida"], timeout=10)
    assert str(status) in str(caught.value)
    assert "SECRETSIGNATURE" not in str(caught.value)


@pytest.mark.parametrize("size", [1, 7, 4096])
def test_lines_split_the_same_whatever_the_chunk_size(size: int) -> None:
    """Lines split across chunks are joined again; a last line without a newline counts."""
    data = b'{"a": 1}\n\n{"b": 2}\n{"c": 3}'
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    assert list(lines(chunks)) == [b'{"a": 1}', b'{"b": 2}', b'{"c": 3}']


def test_read_report_keeps_nothing_of_persons_not_asked_for() -> None:
    """A report of many users yields only the wanted one, whatever the file's size."""
    body = b"".join(record(f"user-{n}", "2026-06-01", used_chat=True) for n in range(1000))
    scan = read_report([body], ["user-500"])
    assert scan.latest == {"user-500": date(2026, 6, 1)}
    assert scan.records == 1000


def test_light_use_keeps_one_day_mask_per_active_holder() -> None:
    """With holders, each active holder gets a mask of their days; nobody else is kept."""
    body = b"".join(
        [
            record("Ann", "2026-05-03", used_chat=True),
            record("ann", "2026-05-03", user_initiated_interaction_count=2),
            record("ann", "2026-05-05", used_cli=True),
            record("bob", "2026-05-04"),  # a holder, idle that day
            record("stranger", "2026-05-04", used_agent=True),  # not a holder
        ]
    )
    scan = UsageScan(holders=frozenset({"ann", "bob"}), start=date(2026, 5, 1))
    read_report([body], [], scan)
    assert scan.days == {"ann": 0b10100}  # the 3rd and the 5th, counted once each
    assert scan.latest == {}  # nobody was asked about


@pytest.mark.parametrize(
    "link",
    [
        "https://blob.example/r.ndjson?sv=2024&se=2026&sig=AbC%2Bsecret123",
        "https://s3.example/r.ndjson?X-Amz-Credential=AKIAX&X-Amz-Signature=deadbeef99",
        "https://files.example/r.ndjson?expires=1&signature=deadbeef99",
    ],
)
def test_a_signed_links_signature_is_scrubbed(link: str) -> None:
    """Were a signed download link ever logged, its signature would not be."""
    cleaned = scrub(f"GET {link}")
    assert "secret123" not in cleaned
    assert "deadbeef99" not in cleaned
    assert "AKIAX" not in cleaned
