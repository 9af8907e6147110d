"""How ``reaper demo`` authenticates: the simulator's token, or a simulated GitHub App.

``reaper demo --auth app`` (or ``REAPER_DEMO_AUTH=app``) registers an App with the
simulator, installs it on every demo org and hands the reaper its ID and private key; the
classic token stays for the enterprise endpoints, which GitHub does not open to Apps.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from reaper.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from reaper.simulator import Simulator

DEMO_APP_ID = 424242
AUTH_VARIABLE = "REAPER_DEMO_AUTH"
CHOICES = ("token", "app")
DEMO_PERMISSIONS = {
    "organization_copilot_seat_management": "write",
    "organization_copilot_metrics": "read",
    "members": "write",
}


def demo_auth_choice(flag: str | None = None) -> str:
    """``token`` or ``app``: the ``--auth`` flag, else ``REAPER_DEMO_AUTH`` (default ``token``)."""
    choice = (flag or os.environ.get(AUTH_VARIABLE) or "token").strip().lower()
    if choice not in CHOICES:
        raise ConfigError(f"invalid configuration:\n  {AUTH_VARIABLE}: use token or app")
    return choice


def demo_credentials(
    sim: Simulator, orgs: Iterable[str], token: str, choice: str
) -> dict[str, Any]:
    """The GitHub settings of the demo for ``choice``: a token, or an App beside it."""
    if choice != "app":
        return {"github_token": token}
    app = sim.apps.add_app(DEMO_APP_ID, slug="copilot-seat-reaper-demo")
    for org in orgs:
        # members: write too, so the App removes idle people from teams as the token does
        sim.apps.install(DEMO_APP_ID, org, permissions=DEMO_PERMISSIONS)
    return {
        "github_token": token,
        "github_app_id": str(DEMO_APP_ID),
        "github_app_private_key": app.private_key_pem,
    }


def demo_auth_summary(sim: Simulator) -> str:
    """With an App: a line saying how many installation tokens the demo's cycles minted."""
    if DEMO_APP_ID not in sim.apps.apps:
        return ""
    return (
        f"Authenticated as the GitHub App {sim.apps.apps[DEMO_APP_ID].slug}: "
        f"{sim.apps.minted} installation tokens minted and renewed, the enterprise read with "
        "the classic token.\n"
    )
