"""The Slack adapter: delivering reports by webhook, bot token, or to the log."""

from reaper.slack.delivery import LogNotifier, Notifier, make_notifier

__all__ = ["LogNotifier", "Notifier", "make_notifier"]
