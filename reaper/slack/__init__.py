"""The Slack adapter: the channel report (webhook or bot token), direct messages, or the log."""

from reaper.slack.delivery import (
    BotNotifier,
    LogNotifier,
    Notifier,
    WebhookNotifier,
    make_notifier,
)

__all__ = ["BotNotifier", "LogNotifier", "Notifier", "WebhookNotifier", "make_notifier"]
