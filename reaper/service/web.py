"""The HTTP side of ``reaper run``: ``/healthz``, ``/readyz`` and ``/metrics``.

A stdlib ``ThreadingHTTPServer`` in a daemon thread; the checks are callables handed in by
the service, so this module knows nothing about the scheduler or the state store. A check
returns ``None`` when all is well, else a short reason, sent as the body of a 503.
"""

from __future__ import annotations

import os
import sys
import threading
import urllib.error
import urllib.request
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, ClassVar

from prometheus_client import CONTENT_TYPE_LATEST

from reaper.logs import get_logger

if TYPE_CHECKING:
    from collections.abc import Callable

log = get_logger(__name__)

_TEXT = "text/plain; charset=utf-8"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        *,
        live: Callable[[], str | None],
        ready: Callable[[], str | None],
        metrics: Callable[[], bytes],
    ) -> None:
        super().__init__(address, _Handler)
        self.live = live
        self.ready = ready
        self.metrics = metrics


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "copilot-seat-reaper"
    protocol_version = "HTTP/1.1"
    _ROUTES: ClassVar[dict[str, str]] = {
        "/healthz": "live",
        "/readyz": "ready",
        "/metrics": "metrics",
    }

    def do_GET(self) -> None:
        """Answer the three endpoints; anything else is 404."""
        route = self._ROUTES.get(self.path.split("?", 1)[0])
        try:
            if route == "metrics":
                self._send(HTTPStatus.OK, self.server.metrics(), CONTENT_TYPE_LATEST)
            elif route in {"live", "ready"}:
                check = self.server.live if route == "live" else self.server.ready
                problem = check()
                if problem is None:
                    self._send(HTTPStatus.OK, b"ok\n")
                else:
                    self._send(HTTPStatus.SERVICE_UNAVAILABLE, f"{problem}\n".encode())
            else:
                self._send(HTTPStatus.NOT_FOUND, b"not found: /healthz /readyz /metrics\n")
        except Exception as exc:  # noqa: BLE001  (a probe answers 500, never kills the server)
            log.error("http.handler_failed", path=self.path, error=type(exc).__name__)
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, b"internal error\n")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str = _TEXT) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002  (stdlib's name)
        """Keep probe traffic out of the logs."""


class HealthServer:
    """Serve the health and metrics endpoints on ``host:port`` from a daemon thread.

    ``port=0`` binds a free port; ``port`` tells which one afterwards.
    """

    def __init__(
        self,
        *,
        port: int,
        live: Callable[[], str | None],
        ready: Callable[[], str | None],
        metrics: Callable[[], bytes],
        host: str = "0.0.0.0",  # noqa: S104  (probes and scrapes come from outside the pod)
    ) -> None:
        self._server = _Server((host, port), live=live, ready=ready, metrics=metrics)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="reaper-http", daemon=True
        )

    @property
    def port(self) -> int:
        """The port actually bound."""
        return int(self._server.server_address[1])

    def start(self) -> None:
        """Start answering requests."""
        self._thread.start()
        log.info("http.listening", port=self.port, paths=["/healthz", "/readyz", "/metrics"])

    def stop(self) -> None:
        """Stop answering, close the socket and join the thread (safe to call twice)."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()


def probe(path: str = "/healthz", port: int | None = None, timeout: float = 4.0) -> int:
    """Ask this container's own server for ``path``; 0 when it answers 200, else 1.

    The image's ``HEALTHCHECK`` (``python -m reaper.service.web``): the slim base has no curl.
    """
    port = port or int(os.environ.get("REAPER_HTTP_PORT") or 8080)
    url = f"http://127.0.0.1:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return 0 if answer.status == HTTPStatus.OK else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"{url}: {exc}", file=sys.stderr)  # noqa: T201  (a health-check command's output)
        return 1


if __name__ == "__main__":
    sys.exit(probe(sys.argv[1] if len(sys.argv) > 1 else "/healthz"))
