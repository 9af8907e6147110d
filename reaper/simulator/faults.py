"""Scripted failures: answer matching requests with an error, or hang up on them."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reaper.simulator.server import Response

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass(frozen=True, slots=True, kw_only=True)
class Fault:
    """A failure to serve instead of the normal answer, for the next ``times`` matching requests.

    All fields are keyword-only: ``Fault(method="GET", path=r"/seats$", status=503)``.

    ``path`` is a regular expression applied with ``re.search`` to the URL path (no query
    string); ``method`` ``None`` matches any method. ``body`` may be ``None`` (empty body),
    ``bytes`` or ``str`` (sent as they are, ``text/plain`` unless ``headers`` say otherwise), or
    any other JSON-serialisable value (sent as ``application/json``). ``disconnect=True`` closes
    the connection without sending any response at all. ``drip_seconds`` above zero sends the
    body one byte at a time, pausing that long between bytes (a page that never quite ends).
    """

    path: str
    method: str | None = None
    status: int = 500
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    times: int = 1
    disconnect: bool = False
    drip_seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.drip_seconds < 0:
            raise ValueError(f"Fault.drip_seconds must not be negative, got {self.drip_seconds}")
        if self.times < 1:
            raise ValueError(f"Fault.times must be at least 1, got {self.times}")
        try:
            re.compile(self.path)  # fail where the fault is written, not in the server thread
        except re.error as exc:
            raise ValueError(f"Fault.path {self.path!r} is not a valid regex: {exc}") from exc

    def matches(self, method: str, path: str) -> bool:
        """Tell whether this fault applies to a request with this method and URL path."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return re.search(self.path, path) is not None

    def response(self) -> Response:
        """Build the HTTP response this fault serves (not used when ``disconnect`` is set)."""
        headers = dict(self.headers)
        has_type = any(name.lower() == "content-type" for name in headers)
        if self.body is None:
            body = b""
        elif isinstance(self.body, bytes | str):
            body = self.body.encode() if isinstance(self.body, str) else self.body
            if not has_type:
                headers["Content-Type"] = "text/plain; charset=utf-8"
        else:
            body = json.dumps(self.body).encode()
            if not has_type:
                headers["Content-Type"] = "application/json; charset=utf-8"
        return Response(
            status=self.status, headers=headers, body=body, drip_seconds=self.drip_seconds
        )


@dataclass(slots=True)
class _Armed:
    fault: Fault
    left: int


class FaultQueue:
    """Injected faults in insertion order, each used up after ``times`` matching requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[_Armed] = []

    def add(self, fault: Fault) -> None:
        """Queue a fault behind those already injected."""
        with self._lock:
            self._faults.append(_Armed(fault, fault.times))

    def take(self, method: str, path: str) -> Fault | None:
        """Return the first live fault matching the request and count one use of it."""
        with self._lock:
            for armed in self._faults:
                if armed.fault.matches(method, path):
                    armed.left -= 1
                    if armed.left == 0:
                        self._faults.remove(armed)
                    return armed.fault
        return None

    def pending(self) -> list[Fault]:
        """Faults that have uses left, in matching order."""
        with self._lock:
            return [armed.fault for armed in self._faults]

    def clear(self) -> None:
        """Forget every injected fault."""
        with self._lock:
            self._faults.clear()
