"""HTTP plumbing: a threaded loopback server that records requests and hands them to a router."""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from collections.abc import Callable

JSON_TYPE = "application/json; charset=utf-8"
_IDLE_TIMEOUT = 30.0  # seconds a kept-alive connection may sit idle before the server drops it


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the simulator received it.

    ``query`` maps each query parameter to all its values, in order (``parse_qs`` with blank
    values kept). ``headers`` has lower-cased names; repeated headers are joined with ``", "``.
    ``json`` is the parsed body when the body is valid JSON, else ``None``. ``received_at`` is
    ``time.monotonic()`` when its first line came in, before any simulated latency.
    ``answered`` is set once the answer was written (or the connection hung up on).
    """

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    json: Any
    base_url: str = ""
    query_string: str = ""
    received_at: float = 0.0
    answered: threading.Event = field(default_factory=threading.Event, compare=False, repr=False)

    @property
    def url(self) -> str:
        """The full URL of the request, e.g. ``http://127.0.0.1:PORT/orgs/acme?page=2``."""
        suffix = f"?{self.query_string}" if self.query_string else ""
        return f"{self.base_url}{self.path}{suffix}"

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class Response:
    """An HTTP response to send: status, headers and the raw body.

    ``drip_seconds`` above zero sends the body one byte at a time with that pause between
    bytes (headers go at once), as a stalled or throttled server would.
    """

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    drip_seconds: float = 0.0


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    """Build a JSON response with GitHub's content type."""
    return Response(
        status=status,
        headers={"Content-Type": JSON_TYPE, **(headers or {})},
        body=json.dumps(payload).encode(),
    )


def text_response(status: int, text: str, headers: dict[str, str] | None = None) -> Response:
    """Build a plain-text response."""
    return Response(
        status=status,
        headers={"Content-Type": "text/plain; charset=utf-8", **(headers or {})},
        body=text.encode(),
    )


class _Server(ThreadingHTTPServer):
    """A threading HTTP server that can cut its open connections when asked to stop."""

    daemon_threads = True
    block_on_close = True  # server_close() joins the handler threads

    def __init__(self, dispatch: Callable[[RecordedRequest], Response | None]) -> None:
        self.dispatch = dispatch
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when a client hangs up; report anything else as usual."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)

    def cut_connections(self) -> None:
        """Shut down every open client connection so idle handler threads return."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):  # already closed by the peer
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    """Reads one request at a time, records it, and writes whatever the router answers."""

    protocol_version = "HTTP/1.1"  # keep-alive, as clients expect from real APIs
    timeout = _IDLE_TIMEOUT
    disable_nagle_algorithm = True  # a dripped body goes out byte by byte: no 40 ms stalls
    wbufsize = 1 << 18  # an answer's headers and body leave in one write (flushed after each)
    _arrived = 0.0
    server: _Server
    server_version = "reaper-simulator"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Keep test output quiet: requests are in ``Simulator.requests`` instead."""

    def parse_request(self) -> bool:
        """Note when the request line came in, then parse the request as usual."""
        self._arrived = time.monotonic()
        return super().parse_request()

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _record(self) -> RecordedRequest:
        parts = urlsplit(self.path)
        body = self._read_body()
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        return RecordedRequest(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=headers,
            body=body,
            json=parsed,
            base_url=self.server.base_url,
            query_string=parts.query,
            received_at=self._arrived,
        )

    def _serve(self) -> None:
        request = self._record()
        try:
            self._answer(request)
        finally:
            request.answered.set()

    def _answer(self, request: RecordedRequest) -> None:
        try:
            response = self.server.dispatch(request)
        except Exception as exc:  # noqa: BLE001 - a simulator bug must reach the client, not kill the thread
            response = json_response(500, {"message": f"simulator error: {exc!r}"})
        if response is None:  # scripted disconnect: hang up without a word
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if response.drip_seconds <= 0:
            self.wfile.write(response.body)
            return
        for index in range(len(response.body)):
            if index:
                time.sleep(response.drip_seconds)  # the fault itself: a server that drips
            self.wfile.write(response.body[index : index + 1])
            self.wfile.flush()

    # BaseHTTPRequestHandler calls do_<METHOD>; every method goes through the router.
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve  # noqa: N815


class LoopbackServer:
    """Runs the HTTP server on 127.0.0.1 (random free port) in a background thread."""

    def __init__(self, dispatch: Callable[[RecordedRequest], Response | None]) -> None:
        self._dispatch = dispatch
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` while running."""
        if self._server is None:
            raise RuntimeError("the simulator is not running: use it as a context manager")
        return self._server.base_url

    @property
    def running(self) -> bool:
        """Whether the server thread is up."""
        return self._server is not None

    def start(self) -> None:
        """Bind a free port and start serving in a background thread."""
        if self._server is not None:
            raise RuntimeError("the simulator is already running")
        self._server = _Server(self._dispatch)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=f"reaper-simulator:{self._server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, close every connection and join all threads."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()
        server.cut_connections()
        server.server_close()
        thread.join()
        self._server = self._thread = None
