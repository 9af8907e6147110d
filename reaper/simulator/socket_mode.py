"""Slack's side of Socket Mode: a loopback websocket server that hands envelopes to the app.

``apps.connections.open`` asks ``issue_url`` for a ``ws://127.0.0.1:PORT/link/?ticket=…`` URL;
each ticket opens one connection, once. On connect the server says ``hello``; ``send``
delivers an envelope to the first open connection and waits for the app's acknowledgement
(``{"envelope_id": …}``). Every frame the app sends is recorded. The websocket protocol
itself (handshake, framing, pings, closing) is the ``websockets`` library's.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

if TYPE_CHECKING:
    from websockets.http11 import Request, Response

LINK_PATH = "/link/"
APP_ID = "A0SIM"
_CLOSE_TIMEOUT = 2.0  # seconds to wait for a closing handshake before cutting the TCP link
_PING_INTERVAL = 0.2  # seconds between the server's pings (answering the app's is automatic)


class SocketModeServer:
    """The websocket end of Socket Mode on 127.0.0.1 (its own random port), thread-safe."""

    def __init__(self, *, app_id: str = APP_ID) -> None:
        self.app_id = app_id
        self._cond = threading.Condition()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._tickets: set[str] = set()
        self._open: list[ServerConnection] = []
        self._refuse = 0
        self._opens = 0
        self._handshakes: list[int] = []
        self._frames: list[Any] = []
        self._envelopes: dict[str, dict[str, Any]] = {}
        self._acks: dict[str, list[dict[str, Any]]] = {}
        self._connection_ids = itertools.count(1)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Bind a free port on 127.0.0.1 and accept connections in a background thread."""
        if self._server is not None:
            raise RuntimeError("the Socket Mode server is already running")
        self._server = serve(
            self._handle,
            "127.0.0.1",
            0,
            process_request=self._check_ticket,
            compression=None,
            # Ping the app often, as Slack pings it too. slack_sdk's builtin client needs it
            # to close promptly: its close() waits for a frame to end a blocking read.
            ping_interval=_PING_INTERVAL,
            ping_timeout=None,  # never drop a slow app on our own: tests drop links on purpose
            close_timeout=_CLOSE_TIMEOUT,
            server_header="reaper-simulator",
        )
        self._thread = threading.Thread(  # a daemon like the HTTP server's; stop() joins it
            target=self._server.serve_forever,
            name=f"reaper-simulator-socket:{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Close every connection, stop listening and join the server's threads."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.shutdown()  # closes open connections and joins their handler threads
        thread.join()
        self._server = self._thread = None
        with self._cond:
            self._tickets.clear()
            self._cond.notify_all()

    @property
    def port(self) -> int:
        """The port the websocket server listens on."""
        if self._server is None:
            raise RuntimeError("the simulator is not running: use it as a context manager")
        return int(self._server.socket.getsockname()[1])

    # -- tickets and handshakes --------------------------------------------------------------

    def issue_url(self) -> str:
        """A new single-use URL for ``apps.connections.open``."""
        ticket = str(uuid.uuid4())
        with self._cond:
            self._tickets.add(ticket)
            self._opens += 1
        return f"ws://127.0.0.1:{self.port}{LINK_PATH}?ticket={ticket}"

    def refuse(self, count: int) -> None:
        """Refuse the next ``count`` handshakes (HTTP 503), tickets used up all the same."""
        if count < 0:
            raise ValueError(f"count must not be negative, got {count}")
        with self._cond:
            self._refuse = count

    def _check_ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        ticket = parse_qs(parts.query).get("ticket", [""])[-1]
        with self._cond:
            known = parts.path == LINK_PATH and ticket in self._tickets
            self._tickets.discard(ticket)
            if not known:
                self._handshakes.append(401)
                return connection.respond(401, "invalid or used ticket\n")
            if self._refuse > 0:
                self._refuse -= 1
                self._handshakes.append(503)
                return connection.respond(503, "refused by the simulator\n")
            self._handshakes.append(101)
        return None

    # -- connections -------------------------------------------------------------------------

    def _handle(self, connection: ServerConnection) -> None:
        number = next(self._connection_ids)
        with self._cond:
            self._open.append(connection)
            count = len(self._open)
            self._cond.notify_all()
        try:
            connection.send(json.dumps(self._hello(number, count)))
            for message in connection:
                self._receive(message)
        except ConnectionClosed:
            pass  # the app hung up, or drop() / stop() closed the link
        finally:
            with self._cond:
                self._open.remove(connection)
                self._cond.notify_all()

    def _hello(self, number: int, count: int) -> dict[str, Any]:
        return {
            "type": "hello",
            "num_connections": count,
            "debug_info": {
                "host": f"applink-sim-{number}",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.app_id},
        }

    def _receive(self, message: str | bytes) -> None:
        frame: Any = message
        if isinstance(message, str):
            with contextlib.suppress(ValueError):
                frame = json.loads(message)
        with self._cond:
            self._frames.append(frame)
            if isinstance(frame, dict) and isinstance(frame.get("envelope_id"), str):
                self._acks.setdefault(frame["envelope_id"], []).append(frame)
            self._cond.notify_all()

    @property
    def connections(self) -> int:
        """How many websocket connections are open now."""
        with self._cond:
            return len(self._open)

    @property
    def opens(self) -> int:
        """How many URLs ``apps.connections.open`` handed out (since the last reset)."""
        with self._cond:
            return self._opens

    @property
    def handshakes(self) -> list[int]:
        """The HTTP status of each handshake: 101 accepted, 401 bad ticket, 503 refused."""
        with self._cond:
            return list(self._handshakes)

    @property
    def frames(self) -> list[Any]:
        """Every frame the app sent: parsed JSON when it is JSON, else the raw text or bytes."""
        with self._cond:
            return list(self._frames)

    def wait_connected(self, timeout: float) -> bool:
        """Wait until at least one connection is open; ``False`` on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: bool(self._open), timeout)

    def drop(self, *, reason: str | None = None) -> int:
        """Close every open connection from the server side; return how many were open.

        With ``reason`` (Slack's are ``"warning"``, ``"refresh_requested"``,
        ``"link_disabled"``) a ``{"type": "disconnect", "reason": …}`` message goes first, as
        Slack announces a refresh; without, the link just closes (code 1001, going away).
        """
        with self._cond:
            connections = list(self._open)
        for connection in connections:
            if reason is not None:
                notice = {"type": "disconnect", "reason": reason, "debug_info": {"host": "sim"}}
                with contextlib.suppress(ConnectionClosed):
                    connection.send(json.dumps(notice))
            connection.close(1001, "going away")
        with self._cond:
            self._cond.wait_for(
                lambda: not any(c in self._open for c in connections), _CLOSE_TIMEOUT
            )
        return len(connections)

    # -- envelopes ---------------------------------------------------------------------------

    def send(self, envelope: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Deliver ``envelope`` to the first open connection and return the app's ack.

        Waits up to ``timeout`` seconds in all, first for a connection, then for the ack
        (a frame with the same ``envelope_id``); raises ``TimeoutError`` when none comes.
        """
        envelope_id = str(envelope["envelope_id"])
        text = json.dumps(envelope)
        deadline = time.monotonic() + timeout
        with self._cond:
            self._envelopes[envelope_id] = envelope
            seen = len(self._acks.get(envelope_id, []))
        while True:
            with self._cond:
                if not self._cond.wait_for(lambda: bool(self._open), _left(deadline)):
                    raise TimeoutError(f"no Socket Mode connection is open (after {timeout} s)")
                connection = self._open[0]
            try:
                connection.send(text)
                break
            except ConnectionClosed:
                self._wait_gone(connection, deadline)  # closing: then try the next one
        with self._cond:
            acked = self._cond.wait_for(
                lambda: len(self._acks.get(envelope_id, [])) > seen, _left(deadline)
            )
            if not acked:
                raise TimeoutError(f"envelope {envelope_id} was not acknowledged in {timeout} s")
            return dict(self._acks[envelope_id][seen])

    def _wait_gone(self, connection: ServerConnection, deadline: float) -> None:
        with self._cond:
            self._cond.wait_for(lambda: connection not in self._open, _left(deadline))

    def replay(self, envelope_id: str, timeout: float) -> dict[str, Any]:
        """Send an envelope again as Slack retries one (``retry_attempt`` + 1); return the ack."""
        with self._cond:
            sent = self._envelopes.get(envelope_id)
        if sent is None:
            raise KeyError(f"no envelope {envelope_id} was sent")
        again = {
            **sent,
            "retry_attempt": int(sent.get("retry_attempt", 0)) + 1,
            "retry_reason": "timeout",
        }
        return self.send(again, timeout)

    @property
    def envelopes(self) -> list[dict[str, Any]]:
        """The last version sent of each envelope, in the order they were first sent."""
        with self._cond:
            return list(self._envelopes.values())

    def reset(self) -> None:
        """Forget recorded frames, handshakes and the count of opens (connections stay)."""
        with self._cond:
            self._frames.clear()
            self._handshakes.clear()
            self._opens = 0


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())
