"""``reaper check``'s usage-report lines: whether each scope's 28-day users report can be read.

One line per configured org and the enterprise: readable (with the days it covers), or why
not and what would enable it (the "Copilot usage metrics" policy, the token's permission).
Unreadable is a warning with ``REAPER_USAGE_REPORT=check`` (the cycle goes on without the
second opinion) and a failure with ``require`` (every cancel of that scope would be held).
Only the report's REST answer is asked for; no file is downloaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reaper.app.github_auth import classic_token
from reaper.app.wiring import github_client
from reaper.core.domain import enterprise_scope, scope_label
from reaper.github.preflight import REFUSED_ON_ENTERPRISE
from reaper.github.usage import UsageUnavailableError, latest_report

if TYPE_CHECKING:
    from reaper.config.settings import Settings

Line = tuple[bool | None, str]


def usage_lines(settings: Settings) -> list[Line]:
    """One line per scope saying whether its usage report can be read."""
    if settings.usage_report == "off":
        return [(True, "usage report: not read (REAPER_USAGE_REPORT=off)")]
    scopes = list(settings.github_orgs)
    refused = classic_token(settings).startswith(tuple(REFUSED_ON_ENTERPRISE))
    if settings.github_enterprise is not None and not refused:  # its seat line says why
        scopes.append(enterprise_scope(settings.github_enterprise))
    unreadable = None if settings.usage_report == "check" else False
    lines: list[Line] = []
    with github_client(settings, max_attempts=2, max_wait=30) as client:
        for scope in scopes:
            label = scope_label(scope)
            try:
                found = latest_report(client, scope)
            except UsageUnavailableError as exc:
                lines.append((unreadable, f"{label}: {exc}"))
                continue
            days = f"{found.start.isoformat()} to {found.end.isoformat()}"
            lines.append((True, f"{label}: usage report readable ({days}): a second opinion"))
    return lines
