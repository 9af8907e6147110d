"""The demo's person reached with no user map: found through the enterprise's SAML identities.

``through_saml`` takes one person out of the demo's user map and links their login to a SAML
identity of the enterprise instead (``nameId`` their address), so the cycle finds their
address with GraphQL (``REAPER_IDENTITY``'s ``saml``), reaches them in Slack, and they can
still answer their warning. It returns what prints the demo's closing line on them, read from
what the simulator saw (GraphQL asked, a direct message posted to them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from reaper.simulator import Simulator


def through_saml(
    sim: Simulator, user_map: Path, login: str, enterprise: str
) -> Callable[[str], str]:
    """Move ``login`` from the user map to a SAML identity; then, given their Slack id, a line."""
    lines = user_map.read_text(encoding="utf-8").splitlines(keepends=True)
    mine = next(line for line in lines if line.startswith(f"{login},"))
    user_map.write_text("".join(line for line in lines if line != mine), encoding="utf-8")
    sim.graphql.add_identity(f"enterprise:{enterprise}", login, name_id=mine.strip().split(",")[1])

    def closing(user_id: str) -> str:
        asked = any(r.path == "/graphql" for r in sim.requests)
        told = any(m.get("channel") == f"D{user_id[1:]}" for m in sim.slack_messages)
        if asked and told:
            return (
                f"{login} is not in the user map: their address came from the enterprise's SAML "
                "single sign-on (GraphQL), and they were warned and answered in Slack.\n"
            )
        return f"{login} is not in the user map and was NOT reached through SAML.\n"

    return closing
