"""Delivering a cycle's report: Slack incoming webhook, Slack Web API (bot token), or the log.

``deliver`` returns the flagged users (org, login) that were *named* in what reached the
target: only their grace periods start ("warned means named"). It returns normally when the
main report reached its target, or when it was skipped on purpose
(``REAPER_SLACK_REPORT=changes`` and nothing new: nobody is named); otherwise it raises
``SlackDeliveryError`` and nobody is named.

- The log names every flagged user (``reaper.slack.notifier``).
- A webhook (``reaper.slack.webhook``) posts the main message, then the lines it left out in
  continuation messages (``reaper.slack.continued``). A failed continuation is logged and its
  users are not named; the others are still tried, unless two fail in a row (Slack is then
  taken to be down and the rest are not tried, so a cycle never waits out the timeouts of
  every part).
- A bot token (``reaper.slack.bot``) names the users listed in the main message, and all of
  them once the CSV with the full lists is in its thread. Direct messages never count: the
  channel report is the warning of record. Attaching the CSV and the direct messages never
  make delivery fail. With answers in Slack on (an app-level token), the report and the
  warnings carry buttons whose values are sealed with a key derived from the bot token
  (``reaper.slack.buttons``).
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING

from reaper.report.summary import Prices
from reaper.slack.bot import BotNotifier
from reaper.slack.notifier import LogNotifier
from reaper.slack.webhook import WebhookNotifier

if TYPE_CHECKING:
    from collections.abc import Callable

    from reaper.config.settings import Settings
    from reaper.slack.dm import Identify
    from reaper.slack.notifier import Notifier


def make_notifier(
    settings: Settings,
    *,
    sleep: Callable[[float], None] = time.sleep,
    identify: Identify | None = None,
) -> Notifier:
    """Choose the delivery the settings ask for: bot token, then webhook, else the log.

    ``identify`` finds the addresses of the people to message (the identity sources).
    """
    prices = Prices(settings.price_business, settings.price_enterprise)
    if settings.slack_bot_token is not None and settings.slack_channel:
        return BotNotifier(
            settings.slack_bot_token.get_secret_value(),
            settings.slack_channel,
            settings.slack_api_url,
            report_mode=settings.slack_report,
            prices=prices,
            direct_messages=settings.slack_dm,
            state_url=settings.state_url,
            user_map_file=settings.user_map_file,
            identify=identify,
            directory_max_age=timedelta(days=settings.identity_max_age_days),
            answers=settings.slack_app_token is not None,
            sleep=sleep,
        )
    if settings.slack_webhook_url is not None:
        return WebhookNotifier(
            settings.slack_webhook_url.get_secret_value(),
            report_mode=settings.slack_report,
            prices=prices,
            sleep=sleep,
        )
    return LogNotifier(prices)
