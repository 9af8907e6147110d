"""Delivering a rendered report: Slack incoming webhook, Slack Web API, or the log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

from reaper.errors import SlackDeliveryError
from reaper.logs import get_logger
from reaper.report.text import headline, render_lines

if TYPE_CHECKING:
    from reaper.report.model import CycleReport
    from reaper.settings import Settings

log = get_logger(__name__)

SLACK_TIMEOUT = 30
MAX_RETRIES = 3
CHUNK_CHARS = 2800  # below Slack's 3,000 characters per section


class Notifier(Protocol):
    """Something that delivers a cycle's report, or raises ``SlackDeliveryError``."""

    @property
    def target(self) -> str:
        """Where reports go, for logs and checklists (no secrets)."""
        ...

    def deliver(self, report: CycleReport) -> None:
        """Deliver the report."""
        ...


def messages(report: CycleReport) -> list[dict[str, Any]]:
    """Split the report into Slack messages, each within Slack's size limits."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in render_lines(report):
        line = _escape(line[:CHUNK_CHARS])  # noqa: PLW2901
        if current and size + len(line) + 1 > CHUNK_CHARS:
            chunks.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    chunks.append("\n".join(current))
    title = headline(report)
    out = []
    for number, chunk in enumerate(chunks, 1):
        part = f" (part {number} of {len(chunks)})" if len(chunks) > 1 else ""
        out.append(
            {
                "text": f"{title}{part}"[:3000],
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}}],
            }
        )
    return out


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class LogNotifier:
    """Writes the whole report to the log, for when Slack is not configured."""

    target = "log"

    def deliver(self, report: CycleReport) -> None:
        """Log every line of the report in one event."""
        log.info("report.logged", report="\n".join(render_lines(report)))


class WebhookNotifier:
    """Posts to one Slack channel through an incoming webhook."""

    target = "slack webhook"

    def __init__(self, url: str) -> None:
        self._client = WebhookClient(url, timeout=SLACK_TIMEOUT, retry_handlers=_retries())

    def deliver(self, report: CycleReport) -> None:
        """Post every part of the report; raise if any part is refused."""
        for message in messages(report):
            try:
                response = self._client.send(text=message["text"], blocks=message["blocks"])
            except (SlackClientError, OSError) as exc:
                raise SlackDeliveryError(f"webhook unreachable: {type(exc).__name__}") from None
            if response.status_code != 200:
                raise SlackDeliveryError(
                    f"webhook refused the report: HTTP {response.status_code} {response.body[:100]}"
                )


class BotNotifier:
    """Posts with a bot token (``chat.postMessage``); later parts go in the first one's thread."""

    def __init__(self, token: str, channel: str, api_url: str) -> None:
        self._client = WebClient(
            token=token, base_url=api_url, timeout=SLACK_TIMEOUT, retry_handlers=_retries()
        )
        self._channel = channel
        self.target = f"slack channel {channel}"

    def deliver(self, report: CycleReport) -> None:
        """Post the report; raise if Slack refuses any part."""
        thread_ts: str | None = None
        for message in messages(report):
            try:
                response = self._client.chat_postMessage(
                    channel=self._channel, thread_ts=thread_ts, unfurl_links=False, **message
                )
            except SlackApiError as exc:
                raise SlackDeliveryError(
                    f"chat.postMessage failed: {exc.response.get('error', 'unknown error')}"
                ) from None
            except (SlackClientError, OSError) as exc:
                raise SlackDeliveryError(f"Slack unreachable: {type(exc).__name__}") from None
            thread_ts = thread_ts or response.get("ts")


def _retries() -> list[Any]:
    return [
        ConnectionErrorRetryHandler(max_retry_count=MAX_RETRIES),
        RateLimitErrorRetryHandler(max_retry_count=MAX_RETRIES),
    ]


def make_notifier(settings: Settings) -> Notifier:
    """Choose the delivery the settings ask for: bot token, then webhook, else the log."""
    if settings.slack_bot_token is not None and settings.slack_channel:
        return BotNotifier(
            settings.slack_bot_token.get_secret_value(),
            settings.slack_channel,
            settings.slack_api_url,
        )
    if settings.slack_webhook_url is not None:
        return WebhookNotifier(settings.slack_webhook_url.get_secret_value())
    return LogNotifier()
