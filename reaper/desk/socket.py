"""The Socket Mode link of ``reaper run``: Slack's buttons reach the reaper, no inbound port.

``SocketLink.start`` returns at once; a background thread builds the Bolt app (Bolt checks the
bot token with ``auth.test``) and opens the connection with Bolt's ``SocketModeHandler``
(``apps.connections.open`` with the app-level token, then a websocket). Until that works it
tries again, waiting longer each time (``slack.socket_failed``); it never holds up the
scheduler, and a cycle never waits for it. Once open, slack-sdk's client reconnects by itself
when the link drops; the thread watches the link and logs each change
(``slack.socket_connected``, ``slack.socket_lost``), counted in
``reaper_slack_socket_events_total{event}``. ``close`` (on SIGTERM) disconnects, lets a click
being answered finish, and logs ``slack.socket_closed``.

Stop signals belong to the main thread: this thread blocks them, and every thread it starts
(the socket client's, Bolt's workers) inherits that.
"""

from __future__ import annotations

import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from slack_bolt.adapter.socket_mode import SocketModeHandler

from reaper.app import utc_now
from reaper.desk.interact import make_app
from reaper.logs import get_logger
from reaper.redact import snippet

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from reaper.config.settings import Settings
    from reaper.metrics import Metrics

log = get_logger(__name__)

PING_SECONDS = 5.0  # slack-sdk pings this often, and looks for a dead link as often
WATCH_SECONDS = 0.2  # how often the link's state is looked at for the log
RETRY_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)  # waits between failed starts, then the last
JOIN_SECONDS = 5.0  # at most this long for the thread when the service stops (it is a daemon)
CLICK_WORKERS = 4


class SocketLink:
    """Slack's Socket Mode connection beside the scheduler."""

    def __init__(
        self,
        settings: Settings,
        *,
        metrics: Metrics | None = None,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
        ping_seconds: float = PING_SECONDS,
        watch_seconds: float = WATCH_SECONDS,
        retry_seconds: tuple[float, ...] = RETRY_SECONDS,
    ) -> None:
        if settings.slack_app_token is None:
            raise ValueError("Socket Mode needs REAPER_SLACK_APP_TOKEN")
        self._settings = settings
        self._metrics = metrics
        self._clock = clock
        self._sleep = sleep
        self._ping = ping_seconds
        self._watch = watch_seconds
        self._retry = retry_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._handler: SocketModeHandler | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._up = False
        self._session: str | None = None

    @property
    def connected(self) -> bool:
        """Whether the link is up, as last seen."""
        return self._up

    def start(self) -> None:
        """Start connecting in the background; return at once."""
        if self._thread is not None:
            raise RuntimeError("the Socket Mode link was started already")
        self._thread = threading.Thread(target=self._run, name="reaper-slack-socket", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Disconnect, let a click being answered finish, and stop the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(JOIN_SECONDS)  # still connecting: it closes what it opens itself
        handler, self._handler = self._handler, None
        if handler is not None:
            handler.client.close()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        log.info("slack.socket_closed")

    # -- the background thread ---------------------------------------------------------------

    def _run(self) -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
        attempt = 0
        while not self._stop.is_set():
            try:
                handler = self._open()
            except Exception as exc:  # noqa: BLE001  (Slack, the network, Bolt: try again later)
                wait = self._retry[min(attempt, len(self._retry) - 1)]
                attempt += 1
                log.warning(
                    "slack.socket_failed",
                    error=snippet(f"{type(exc).__name__}: {exc}", 300),
                    retry_in_seconds=wait,
                )
                self._stop.wait(wait)
                continue
            if self._stop.is_set():  # closed while connecting: close() did not see it
                handler.client.close()
                return
            self._handler = handler
            break
        while not self._stop.wait(self._watch):
            self._look()

    def _open(self) -> SocketModeHandler:
        """Build the app and open the connection (raises when Slack refuses or is away)."""
        assert self._settings.slack_app_token is not None
        if self._executor is None:
            self._executor = ThreadPoolExecutor(CLICK_WORKERS, thread_name_prefix="reaper-click")
        app = make_app(
            self._settings,
            executor=self._executor,
            metrics=self._metrics,
            clock=self._clock,
            sleep=self._sleep,
        )
        handler = SocketModeHandler(
            app, self._settings.slack_app_token.get_secret_value(), ping_interval=self._ping
        )
        try:
            handler.client.connect()
        except BaseException:
            handler.client.close()
            raise
        return handler

    def _look(self) -> None:
        """Log and count each change of the link: up, down, or replaced by a new one."""
        handler = self._handler
        if handler is None:
            return
        client = handler.client
        up = client.is_connected()
        session = client.session_id() if up else None
        if self._up and session != self._session:
            self._up = False
            log.warning("slack.socket_lost", session=self._session)
            self._count("lost")
        if up and not self._up:
            self._up, self._session = True, session
            log.info("slack.socket_connected", session=session)
            self._count("connected")

    def _count(self, event: str) -> None:
        if self._metrics is not None:
            self._metrics.record_socket_event(event)
