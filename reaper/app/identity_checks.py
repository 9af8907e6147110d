"""``reaper check``'s lines on the identity sources: which GitHub will give, and if not, why.

With direct messages on, each GitHub source in ``REAPER_IDENTITY`` (``saml``, ``scim``,
``verified``) is asked once about one login; a source GitHub will not give is a warning
(the cycle skips it) saying why and what would enable it. The bot token's scopes are read
from the ``x-oauth-scopes`` header of ``auth.test``: a missing ``users:read`` or
``users:read.email`` (needed by ``users.list`` and ``users.lookupByEmail``) is named.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reaper.app.identities import GITHUB_SOURCES, graphql_client, readers
from reaper.errors import GitHubError
from reaper.slack.transport import SlackCallError, call, web_client

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from reaper.config.settings import Settings

DM_SCOPES = ("users:read", "users:read.email")
PROBE_LOGIN = "ghost"  # GitHub's placeholder account: asking about it reveals no one


def identity_lines(
    settings: Settings, clock: Callable[[], datetime]
) -> list[tuple[bool | None, str]]:
    """One line per GitHub identity source: available, or skipped with why and the fix."""
    sources = [s for s in settings.identity if s in GITHUB_SOURCES]
    if not settings.slack_dm:
        return []
    lines = slack_scope_lines(settings)
    if not sources:
        return lines
    graphql = graphql_client(settings, clock, lambda _seconds: None)
    try:
        for source in sources:
            for reader in readers(settings, graphql):
                try:
                    got = reader.read([PROBE_LOGIN], [source])
                except GitHubError as exc:
                    lines.append((None, f"identity {source}: skipped on {reader.where}: {exc}"))
                    continue
                if source in got.unavailable:
                    lines.append((None, f"identity {source}: skipped: {got.unavailable[source]}"))
                else:
                    lines.append((True, f"identity {source}: available on {reader.where}"))
    finally:
        graphql.close()
    return lines


def slack_scope_lines(settings: Settings) -> list[tuple[bool | None, str]]:
    """Name the scopes direct messages need that the bot token lacks (a warning)."""
    if settings.slack_bot_token is None:
        return []
    client = web_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
    try:
        answer = call("auth.test", client.auth_test)
    except SlackCallError:
        return []  # the Slack line already says the token was refused
    headers = {k.lower(): v for k, v in (answer.headers or {}).items()}
    raw = headers.get("x-oauth-scopes")
    if isinstance(raw, list):
        raw = ",".join(raw)
    if raw is None:
        return [(None, "Slack bot token scopes: not said by Slack, not checked")]
    granted = {s.strip() for s in str(raw).split(",")}
    missing = [s for s in DM_SCOPES if s not in granted]
    if missing:
        why = f"Slack bot token lacks {', '.join(missing)}: nobody can be found in Slack for "
        return [(None, why + "a direct message; add the scopes to the Slack app and reinstall it")]
    return [(True, "Slack bot token has users:read and users:read.email (directory, look-ups)")]
