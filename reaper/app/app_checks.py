"""``reaper check`` for a GitHub App: the JWT accepted, each org's installation and token."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reaper.github.app_auth import AppAuth, AppAuthError, missing_permissions
from reaper.github.app_permissions import grant_hint, seat_permissions

if TYPE_CHECKING:
    from collections.abc import Sequence

    from reaper.github import GitHubClient


def app_lines(client: GitHubClient, orgs: Sequence[str]) -> list[tuple[bool, str]]:
    """One line for the App's JWT, then one per org: installation, permissions, expiry."""
    auth = client.auth
    if not isinstance(auth, AppAuth):
        return []
    try:
        app = auth.app_info()
    except AppAuthError as exc:
        return [(False, str(exc))]
    name = app.get("slug") or app.get("name") or "?"
    lines = [(True, f"GitHub App {name} (REAPER_GITHUB_APP_ID {auth.app_id}): JWT accepted")]
    for org in orgs:
        try:
            installation = auth.installation(org)
        except AppAuthError as exc:
            lines.append((False, str(exc)))
            continue
        granted = ", ".join(f"{k}: {v}" for k, v in sorted(installation.permissions.items()))
        missing = missing_permissions(installation.permissions, seat_permissions(auth))
        where = f"{org}: App installation {installation.installation_id}"
        if missing:
            text = (
                f"{where} lacks {', '.join(missing)} (it grants {granted or 'nothing'}): "
                f"{grant_hint(org)}"
            )
            lines.append((False, text))
        else:
            expiry = f"{installation.expires_at:%Y-%m-%d %H:%M} UTC"
            lines.append((True, f"{where}, permissions {granted}; token valid until {expiry}"))
    return lines
