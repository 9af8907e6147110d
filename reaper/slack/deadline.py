"""Slack clients whose every HTTP exchange has an overall deadline.

slack-sdk talks through urllib, whose timeout bounds each socket operation: an answer sent
one byte at a time never trips it. Here each exchange (one attempt: connect, send, read the
whole answer) runs in a worker thread and is given up after the deadline with a
``TimeoutError``. That is an ``OSError``, so the adapter's calls turn it into
``SlackDeliveryError``, and it is not one of the connection errors slack-sdk retries, so a
stalled Slack costs one deadline, not one per retry. The abandoned thread is a daemon: it ends
when the server finishes or its socket times out, and never holds up the process's exit.
"""

from __future__ import annotations

import math
import signal
import threading
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from reaper.logs import get_logger

if TYPE_CHECKING:
    from collections.abc import Callable
    from urllib.request import Request

    from slack_sdk.web.file_upload_v2_result import FileUploadV2Result

log = get_logger(__name__)

T = TypeVar("T")


def within(seconds: float, what: str, work: Callable[[], T]) -> T:
    """Run ``work`` in a thread: its result or error, or a ``TimeoutError`` after ``seconds``."""
    outcome: list[T] = []
    failure: list[BaseException] = []
    done = threading.Event()

    def run() -> None:
        # Stop signals belong to the main thread, which is waiting for this one.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
        try:
            outcome.append(work())
        except BaseException as exc:  # noqa: BLE001  (handed to the caller's thread below)
            failure.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, name="reaper-slack-request", daemon=True).start()
    if not done.wait(seconds):
        log.warning("slack.timeout", request=what, timeout_seconds=seconds)
        raise TimeoutError(f"Slack did not answer {what} within {seconds:g}s")
    if failure:
        raise failure[0]
    return outcome[0]


def socket_timeout(deadline: float) -> int:
    """Give urllib's per-operation timeout: whole seconds, at least one, rounded up."""
    return max(1, math.ceil(deadline))


class DeadlineWebClient(WebClient):
    """A ``WebClient`` whose every exchange, file uploads included, ends within ``deadline``."""

    def __init__(self, *, deadline: float, **kwargs: Any) -> None:
        super().__init__(timeout=socket_timeout(deadline), **kwargs)
        self.deadline = deadline

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        parent = super()._perform_urllib_http_request_internal
        return within(self.deadline, urlsplit(url).path, lambda: parent(url, req))

    def _upload_file(self, **kwargs: Any) -> FileUploadV2Result:
        parent = super()._upload_file
        return within(self.deadline, "a file upload", lambda: parent(**kwargs))


class DeadlineWebhookClient(WebhookClient):
    """A ``WebhookClient`` whose every exchange ends within ``deadline``."""

    def __init__(self, url: str, *, deadline: float, **kwargs: Any) -> None:
        super().__init__(url, timeout=socket_timeout(deadline), **kwargs)
        self.deadline = deadline

    def _perform_http_request_internal(self, url: str, req: Request) -> Any:
        parent = super()._perform_http_request_internal
        return within(self.deadline, "the webhook", lambda: parent(url, req))
