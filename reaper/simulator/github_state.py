"""What the simulated endpoints need of the GitHub side: its token, seat state, clock and URL.

``GitHubApi`` satisfies this protocol; the org and enterprise endpoint modules are typed
against it, so they need not import the module that routes to them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from reaper.simulator.scopes import Enterprise, Org


class GitHubState(Protocol):
    """The token, orgs, enterprises, clock and base URL of the simulated GitHub."""

    token: str
    orgs: dict[str, Org]
    enterprises: dict[str, Enterprise]
    clock: Callable[[], datetime]
    base_url: Callable[[], str]
    billing_cycle_day: int  # the day of the month each billing cycle starts (1 to 28)

    def add_seat(self, scope: str, login: str, **fields: Any) -> dict[str, Any]:
        """Give ``login`` a seat in ``scope``."""
        ...
