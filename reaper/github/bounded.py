"""One HTTP exchange bounded in time and size: the whole request, not each socket read.

httpx's timeouts apply to each phase and each read, so a server that sends one byte at a
time never trips them. ``fetch`` gives every phase only the time left until an overall
deadline, checks the deadline between body chunks, and arms a watchdog that shuts the socket
down when the deadline passes, so even a read that is blocked returns at once.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
import time
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
        cancel = _watchdog(response, deadline)
        try:
            body = _read(response, deadline, max_bytes)
        except httpx.TransportError:
            if time.monotonic() >= deadline:  # the watchdog cut the connection
                raise httpx.ReadTimeout("the answer took longer than the deadline") from None
            raise
        finally:
            cancel.set()
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


def _watchdog(response: httpx.Response, deadline: float) -> threading.Event:
    """Shut the connection's socket down at ``deadline`` unless the returned event is set first.

    Shutting the socket down unblocks a read that waits, from this other thread.
    """
    cancel = threading.Event()
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    if not isinstance(sock, socket.socket):
        return cancel  # no socket to cut (e.g. a test transport): the chunk checks still apply

    def watch() -> None:
        # Stop signals belong to the main thread, which may be waiting in a read right now.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
        if not cancel.wait(max(deadline - time.monotonic(), 0.0)):
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)

    threading.Thread(target=watch, name="reaper-github-deadline", daemon=True).start()
    return cancel
