"""Talking to Slack: clients with bounded retries, and calls that raise only our own errors.

Rate limits (HTTP 429) wait for ``Retry-After`` with slack-sdk's retry handler, refusing
waits longer than ``MAX_RETRY_AFTER`` so a cycle never hangs; connection errors and Slack's
500/503 are retried a bounded number of times with backoff. Every exchange with Slack has
an overall deadline (``SLACK_TIMEOUT``), not only a per-read timeout: see ``reaper.slack.deadline``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from reaper.errors import SlackDeliveryError
from reaper.logs import get_logger
from reaper.redact import scrub, scrub_data, snippet
from reaper.slack.deadline import DeadlineWebClient, DeadlineWebhookClient

if TYPE_CHECKING:
    from collections.abc import Callable

    from slack_sdk import WebClient
    from slack_sdk.http_retry import RetryHandler
    from slack_sdk.http_retry.response import HttpResponse
    from slack_sdk.http_retry.state import RetryState
    from slack_sdk.webhook import WebhookClient

log = get_logger(__name__)

SLACK_TIMEOUT = 30.0  # seconds for one whole exchange: connect, send, read the full answer
MAX_RETRIES = 3
MAX_RETRY_AFTER = 120.0  # seconds; Slack asking for longer fails the delivery instead


def _retry_after(response: HttpResponse | None) -> float | None:
    if response is None:
        return None
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                return max(0.0, float(values[0]))
            except ValueError:
                return None
    return None


class BoundedRateLimitHandler(RateLimitErrorRetryHandler):
    """Waits out a 429 for exactly ``Retry-After`` seconds, unless that is longer than allowed."""

    def __init__(
        self,
        max_retry_count: int = MAX_RETRIES,
        *,
        max_wait: float = MAX_RETRY_AFTER,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait
        self.sleep = sleep

    def _can_retry(self, *, response: HttpResponse | None = None, **_: object) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = _retry_after(response)
        if wait is not None and wait > self.max_wait:
            log.warning("slack.rate_limit_too_long", retry_after=wait, max_wait=self.max_wait)
            return False
        return True

    def prepare_for_next_attempt(
        self, *, state: RetryState, response: HttpResponse | None = None, **_: object
    ) -> None:
        """Sleep for ``Retry-After`` (one second when Slack gives none), then try again."""
        wait = _retry_after(response)
        wait = 1.0 if wait is None else wait
        log.info("slack.rate_limited", retry_after=wait, attempt=state.current_attempt + 1)
        state.next_attempt_requested = True
        self.sleep(wait)
        state.increment_current_attempt()


def retry_handlers(sleep: Callable[[float], None] = time.sleep) -> list[RetryHandler]:
    """Rate limits, connection errors and Slack's 500/503, each retried a bounded number of times.

    ``sleep`` waits out rate limits (tests may record instead of sleeping).
    """
    return [
        BoundedRateLimitHandler(sleep=sleep),
        ConnectionErrorRetryHandler(max_retry_count=MAX_RETRIES),
        ServerErrorRetryHandler(max_retry_count=1),
    ]


def web_client(
    token: str,
    base_url: str,
    sleep: Callable[[float], None] = time.sleep,
    *,
    timeout: float = SLACK_TIMEOUT,
) -> WebClient:
    """A Web API client for a bot token (``base_url`` with its trailing slash).

    Each exchange ends within ``timeout`` seconds, or fails as unreachable.
    """
    if not base_url.endswith("/"):
        base_url += "/"
    return DeadlineWebClient(
        token=token, base_url=base_url, deadline=timeout, retry_handlers=retry_handlers(sleep)
    )


def webhook_client(
    url: str, sleep: Callable[[float], None] = time.sleep, *, timeout: float = SLACK_TIMEOUT
) -> WebhookClient:
    """An incoming-webhook client whose each exchange ends within ``timeout`` seconds."""
    return DeadlineWebhookClient(url, deadline=timeout, retry_handlers=retry_handlers(sleep))


def send_webhook(client: WebhookClient, payload: dict[str, Any]) -> None:
    """Post one scrubbed message through the webhook, or raise ``SlackDeliveryError``."""
    body = {**scrub_data(payload), "unfurl_links": False, "unfurl_media": False}
    try:
        response = client.send_dict(body)
    except (SlackClientError, OSError) as exc:
        raise SlackDeliveryError(f"webhook unreachable: {type(exc).__name__}") from None
    if response.status_code != 200:
        answer = snippet(response.body or "", 100)
        raise SlackDeliveryError(
            f"webhook refused the report: HTTP {response.status_code} {answer}"
        )


class SlackCallError(SlackDeliveryError):
    """A Web API call failed; ``code`` is Slack's error code, ``None`` if Slack was unreachable."""

    def __init__(self, message: str, code: str | None) -> None:
        super().__init__(message)
        self.code = code


def call(what: str, request: Callable[[], Any]) -> Any:
    """Run one Web API call, translating Slack's errors into ``SlackCallError``."""
    try:
        return request()
    except SlackApiError as exc:
        code = str(exc.response.get("error", "unknown_error")) if exc.response else "no_answer"
        code = snippet(code, 100)  # Slack's answer, quoted back: short and scrubbed
        raise SlackCallError(f"{what} failed: {code}", code) from None
    except (SlackClientError, OSError) as exc:
        raise SlackCallError(f"{what}: Slack unreachable ({type(exc).__name__})", None) from None


def post_message(
    client: WebClient, channel: str, payload: dict[str, Any], thread_ts: str | None = None
) -> tuple[str, str]:
    """Post one message with ``chat.postMessage`` (scrubbed of secrets); return (channel id, ts)."""
    clean: dict[str, Any] = scrub_data(payload)
    response = call(
        "chat.postMessage",
        lambda: client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
            link_names=False,
            **clean,
        ),
    )
    return str(response.get("channel") or channel), str(response.get("ts") or "")


def upload_file(
    client: WebClient,
    *,
    channel_id: str,
    thread_ts: str,
    content: str,
    filename: str,
    title: str,
    comment: str,
) -> None:
    """Upload a text file into a thread with ``files_upload_v2``; every text is scrubbed."""
    call(
        "files_upload_v2",
        lambda: client.files_upload_v2(
            channel=channel_id,
            thread_ts=thread_ts,
            content=scrub(content),
            filename=scrub(filename),
            title=scrub(title),
            initial_comment=scrub(comment),
        ),
    )
