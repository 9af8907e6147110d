"""``reaper check``'s lines on the identity sources: which GitHub will give, and if not, why.

With direct messages on, each GitHub source in ``REAPER_IDENTITY`` (``saml``, ``scim``,
``verified``) is asked once about one login; a source GitHub will not give is a warning
(the cycle skips it) saying why and what would enable it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reaper.app.identities import GITHUB_SOURCES, graphql_client, readers
from reaper.errors import GitHubError

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from reaper.config.settings import Settings

PROBE_LOGIN = "ghost"  # GitHub's placeholder account: asking about it reveals no one


def identity_lines(
    settings: Settings, clock: Callable[[], datetime]
) -> list[tuple[bool | None, str]]:
    """One line per GitHub identity source: available, or skipped with why and the fix."""
    sources = [s for s in settings.identity if s in GITHUB_SOURCES]
    if not settings.slack_dm or not sources:
        return []
    lines: list[tuple[bool | None, str]] = []
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
