"""What an App's installation lacks: seats stops an org's cancels, members its teams."""

from __future__ import annotations

from reaper.github.app_auth import MEMBERS, SEATS, AppAuth, missing_permissions


def grant_hint(org: str) -> str:
    """Where an org's admin grants an installation a missing permission."""
    return (
        "grant it in the App's settings (Permissions) and accept the change at "
        f"https://github.com/organizations/{org}/settings/installations"
    )


def seat_permissions(auth: AppAuth) -> dict[str, str]:
    """The permission an org's cancels need (``members`` and the metrics serve other steps)."""
    return {name: level for name, level in auth.needed.items() if name == SEATS}


def permission_problem(auth: object, org: str) -> str | None:
    """With a GitHub App: name the needed permissions the org's installation lacks, or None."""
    if not isinstance(auth, AppAuth):
        return None
    missing = missing_permissions(auth.installation(org).permissions, seat_permissions(auth))
    if not missing:
        return None
    return (
        f"{org}: the GitHub App's installation lacks {', '.join(missing)}, so seats cannot be "
        f"cancelled; {grant_hint(org)}"
    )


def team_permission_problem(auth: object, org: str) -> str | None:
    """With a GitHub App needing ``members: write``: say so when org's installation lacks it.

    Only the team removals of that org are refused; its direct seats are still cancelled.
    """
    if not isinstance(auth, AppAuth) or MEMBERS not in auth.needed:
        return None
    needed = {MEMBERS: auth.needed[MEMBERS]}
    missing = missing_permissions(auth.installation(org).permissions, needed)
    if not missing:
        return None
    return (
        f"the GitHub App's installation on {org} lacks {', '.join(missing)}, so nobody is "
        f"removed from its teams (direct seats are still cancelled); {grant_hint(org)}"
    )
