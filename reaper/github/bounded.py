"""One HTTP exchange bounded in time and size: the whole request, not each socket read.

httpx's timeouts apply to each phase and each read, so a server that sends one byte at a
time never trips them. ``fetch`` gives every phase only the time left until an overall
deadline, checks the deadline between body chunks, and has the watchdog shut the socket
down when the deadline passes, so even a read that is blocked returns at once. One watchdog
thread serves every exchange of the process: a thread per exchange cost about a quarter of
a millisecond each, paid between one page and the next request (issue 21).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import signal
import socket
import threading
import time
from functools import partial
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from collections.abc import Callable

MAX_BODY_BYTES = 20 * 1024 * 1024  # a seat page is about 100 KB; anything this big is wrong
_DROPPED_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


class BodyTooLargeError(Exception):
    """The answer's body (decoded) is larger than ``MAX_BODY_BYTES``."""


def fetch(
    http: httpx.Client,
    method: str,
    url: str,
    *,
    deadline: float,
    max_bytes: int = MAX_BODY_BYTES,
    on_wire: Callable[[], None] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """Send one request and read its whole body before ``deadline`` (``time.monotonic``).

    ``on_wire`` is called (in this thread) once the request is sent, before the answer.

    Returns a response whose body is already decoded and read. Raises
    ``httpx.TimeoutException`` when the deadline passes in any phase, ``httpx.DecodingError``
    for a body that does not decompress, ``BodyTooLargeError`` past ``max_bytes``, and any
    other ``httpx`` error as it comes.
    """
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise httpx.ConnectTimeout("the deadline passed before the request was sent")
    if on_wire is not None:
        kwargs["extensions"] = {**kwargs.get("extensions", {}), "trace": _tracer(on_wire)}
    with http.stream(method, url, timeout=httpx.Timeout(remaining), **kwargs) as response:
        length = response.headers.get("content-length", "")
        if length.isascii() and length.isdigit() and len(length) < 20 and int(length) > max_bytes:
            raise BodyTooLargeError(f"{length} bytes announced")
        stop_watching = _watch(response, deadline)
        try:
            body = _read(response, deadline, max_bytes)
        except httpx.TransportError:
            if time.monotonic() >= deadline:  # the watchdog cut the connection
                raise httpx.ReadTimeout("the answer took longer than the deadline") from None
            raise
        finally:
            stop_watching()
    headers = [
        (name, value)
        for name, value in response.headers.multi_items()
        if name.lower() not in _DROPPED_HEADERS
    ]
    return httpx.Response(
        response.status_code, headers=headers, content=body, request=response.request
    )


def _tracer(on_wire: Callable[[], None]) -> Callable[[str, dict[str, Any]], None]:
    """An httpcore trace hook that calls ``on_wire`` once the request's body is sent."""

    def trace(event: str, _info: dict[str, Any]) -> None:
        if event.endswith(".send_request_body.complete"):
            on_wire()

    return trace


def _read(response: httpx.Response, deadline: float, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLargeError(f"more than {max_bytes} bytes")
        if time.monotonic() >= deadline:
            raise httpx.ReadTimeout("the answer took longer than the deadline")
        chunks.append(chunk)
    return b"".join(chunks)


def _watch(response: httpx.Response, deadline: float) -> Callable[[], None]:
    """Have the watchdog cut the answer's connection at ``deadline``; call the result to stop.

    Shutting the socket down unblocks a read that waits, from the watchdog's thread.
    """
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if not isinstance(sock, socket.socket):
        return _nothing  # no socket to cut (e.g. a test transport): the chunk checks still apply
    return _WATCHDOG.watch(sock, deadline)


def _nothing() -> None:
    """Stop watching nothing."""


class _Watchdog:
    """One thread that shuts each watched socket down once its deadline passes."""

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # the thread does not outlive a fork

    def _reset(self) -> None:
        self._changed = threading.Condition()
        self._due: list[tuple[float, int]] = []  # (deadline, ticket), earliest first (a heap)
        self._watched: dict[int, socket.socket] = {}  # by ticket, until stopped or cut
        self._tickets = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, sock: socket.socket, deadline: float) -> Callable[[], None]:
        """Cut ``sock`` at ``deadline`` (``time.monotonic``) unless the result is called first."""
        with self._changed:
            ticket = next(self._tickets)
            self._watched[ticket] = sock
            heapq.heappush(self._due, (deadline, ticket))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, name="reaper-github-deadline", daemon=True
                )
                self._thread.start()
            elif self._due[0][1] == ticket:
                self._changed.notify()  # an earlier deadline than the one waited for
        return partial(self._stop, ticket)

    def _stop(self, ticket: int) -> None:
        with self._changed:
            self._watched.pop(ticket, None)

    def _serve(self) -> None:
        # Stop signals belong to the main thread, which may be waiting in a read right now.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
        with self._changed:
            while True:
                while self._due and self._due[0][1] not in self._watched:
                    heapq.heappop(self._due)  # that exchange ended in time
                if not self._due:
                    self._changed.wait()
                    continue
                deadline, ticket = self._due[0]
                if (left := deadline - time.monotonic()) > 0:
                    self._changed.wait(left)
                    continue
                heapq.heappop(self._due)
                with contextlib.suppress(OSError):  # already closed
                    self._watched.pop(ticket).shutdown(socket.SHUT_RDWR)


_WATCHDOG = _Watchdog()
