"""The Slack adapter: the channel report (webhook or bot token), direct messages, or the log."""

from reaper.slack.bot import BotNotifier
from reaper.slack.delivery import make_notifier
from reaper.slack.notifier import LogNotifier, Notifier
from reaper.slack.webhook import WebhookNotifier

__all__ = ["BotNotifier", "LogNotifier", "Notifier", "WebhookNotifier", "make_notifier"]
