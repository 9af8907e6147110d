"""JSON objects shaped like GitHub's: users, organisations, teams and Copilot seats.

The shapes follow GitHub's published OpenAPI description (``simple-user``,
``organization-simple``, ``team``, ``enterprise-team`` and ``copilot-seat-details``), so every
required field is present. URLs inside the objects point at github.com as GitHub's would;
they are data, never followed.
"""

from __future__ import annotations

import base64
import zlib
from datetime import UTC, date, datetime
from typing import Any

API = "https://api.github.com"
WEB = "https://github.com"


def iso(moment: datetime) -> str:
    """Format an aware datetime the way GitHub does: UTC, whole seconds, ``Z`` suffix."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: pass an aware UTC datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_or_none(moment: datetime | None) -> str | None:
    """Like ``iso`` but lets ``None`` through."""
    return None if moment is None else iso(moment)


def first_of_next_month(moment: datetime) -> date:
    """The first day of the month after ``moment`` (UTC): when a cancelled seat ends."""
    day = moment.astimezone(UTC).date()
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def next_cycle_date(moment: datetime, cycle_day: int = 1) -> date:
    """The first day of the next billing cycle after ``moment`` (UTC): a cancel's pending date.

    Each cycle starts on day ``cycle_day`` (1 to 28) of a month.
    """
    day = moment.astimezone(UTC).date()
    if day.day < cycle_day:
        return day.replace(day=cycle_day)
    return date(day.year + day.month // 12, day.month % 12 + 1, cycle_day)


def stable_id(kind: str, name: str) -> int:
    """A repeatable positive id for a named object, so runs and tests see the same ids."""
    return zlib.crc32(f"{kind}:{name.lower()}".encode()) % 90_000_000 + 1_000_000


def node_id(prefix: str, kind: str, number: int) -> str:
    """A GraphQL-style node id like GitHub's legacy ``MDQ6VXNlcjE=`` ones."""
    raw = f"{prefix}:{kind}{number}".encode()
    return base64.b64encode(raw).decode()


def user(login: str) -> dict[str, Any]:
    """A ``simple-user`` object for ``login``."""
    number = stable_id("user", login)
    url = f"{API}/users/{login}"
    return {
        "login": login,
        "id": number,
        "node_id": node_id("04", "User", number),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{number}?v=4",
        "gravatar_id": "",
        "url": url,
        "html_url": f"{WEB}/{login}",
        "followers_url": f"{url}/followers",
        "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}",
        "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions",
        "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events",
        "type": "User",
        "user_view_type": "public",
        "site_admin": False,
    }


def organization(login: str) -> dict[str, Any]:
    """An ``organization-simple`` object for ``login``."""
    number = stable_id("org", login)
    url = f"{API}/orgs/{login}"
    return {
        "login": login,
        "id": number,
        "node_id": node_id("012", "Organization", number),
        "url": url,
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events",
        "hooks_url": f"{url}/hooks",
        "issues_url": f"{url}/issues",
        "members_url": f"{url}/members{{/member}}",
        "public_members_url": f"{url}/public_members{{/member}}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{number}?v=4",
        "description": None,
    }


def team_name(slug: str) -> str:
    """Derive a display name from a team slug: ``data-platform`` becomes ``Data Platform``."""
    return " ".join(part.capitalize() for part in slug.replace("_", "-").split("-") if part)


def team(org: str, slug: str) -> dict[str, Any]:
    """A ``team`` object for team ``slug`` of organisation ``org``."""
    number = stable_id("team", f"{org}/{slug}")
    org_id = stable_id("org", org)
    url = f"{API}/organizations/{org_id}/team/{number}"
    return {
        "id": number,
        "node_id": node_id("04", "Team", number),
        "url": url,
        "html_url": f"{WEB}/orgs/{org}/teams/{slug}",
        "name": team_name(slug),
        "slug": slug,
        "description": None,
        "privacy": "closed",
        "notification_setting": "notifications_enabled",
        "permission": "pull",
        "members_url": f"{url}/members{{/member}}",
        "repositories_url": f"{url}/repos",
        "parent": None,
        "type": "organization",
        "organization_id": org_id,
    }


def enterprise_team(enterprise: str, slug: str, created_at: datetime) -> dict[str, Any]:
    """An ``enterprise-team`` object for team ``slug`` of enterprise ``enterprise``.

    It lacks the org team's ``node_id``, ``permission`` and ``parent``, and the org team lacks
    its ``group_id`` and dates, so each matches exactly one branch of ``assigning_team``'s
    ``oneOf``.
    """
    url = f"{API}/enterprises/{enterprise}/teams/{slug}"
    return {
        "id": stable_id("enterprise-team", f"{enterprise}/{slug}"),
        "name": team_name(slug),
        "slug": slug,
        "url": url,
        "sync_to_organizations": "disabled",
        "organization_selection_type": "disabled",
        "group_id": None,
        "group_name": None,
        "html_url": f"{WEB}/enterprises/{enterprise}/teams/{slug}",
        "members_url": f"{url}/memberships{{/member}}",
        "created_at": iso(created_at),
        "updated_at": iso(created_at),
        "notification_setting": "notifications_enabled",
    }


def seat(
    org: str | None,
    login: str,
    *,
    created_at: datetime,
    last_activity_at: datetime | None,
    team_slug: str | None,
    plan_type: str,
    editor: str | None,
    pending_cancellation_date: date | str | None,
    enterprise: str | None = None,
) -> dict[str, Any]:
    """A ``copilot-seat-details`` object for ``login``'s seat in ``org``.

    With ``enterprise`` (and ``org`` ``None``) it is an enterprise-level grant: ``organization``
    is null, and ``team_slug`` names an enterprise team (an ``enterprise-team`` object).

    The editor is reported only with activity: GitHub nulls both together. A seat assigned
    directly (no ``team_slug``) has no ``assigning_team`` key at all, as in GitHub's published
    example: the schema declares the field ``nullable`` next to a ``oneOf`` without ``type``,
    which OpenAPI 3.0.3 reads as "null not allowed", so omitting it is the form every reading
    of the schema accepts. Clients must treat a missing and a null ``assigning_team`` alike.
    """
    if isinstance(pending_cancellation_date, date):
        pending_cancellation_date = pending_cancellation_date.isoformat()
    elif pending_cancellation_date is not None:
        date.fromisoformat(pending_cancellation_date)  # reject anything but YYYY-MM-DD
    active = last_activity_at is not None
    updated = max(created_at, last_activity_at) if last_activity_at else created_at
    record: dict[str, Any] = {
        "created_at": iso(created_at),
        "assignee": user(login),
        "pending_cancellation_date": pending_cancellation_date,
        "plan_type": plan_type,
        "last_authenticated_at": iso_or_none(last_activity_at),
        "updated_at": iso(updated),
        "last_activity_at": iso_or_none(last_activity_at),
        "last_activity_editor": editor if active else None,
        "organization": None if org is None else organization(org),
    }
    if team_slug and enterprise is not None:
        record["assigning_team"] = enterprise_team(enterprise, team_slug, created_at)
    elif team_slug and org is not None:
        record["assigning_team"] = team(org, team_slug)
    return record


def team_of(record: Any) -> str | None:
    """The slug of the team that granted a seat record, or ``None`` for a direct grant."""
    team = record.get("assigning_team") if isinstance(record, dict) else None
    slug = team.get("slug") if isinstance(team, dict) else None
    return slug if isinstance(slug, str) else None


def seat_breakdown(records: list[Any], now: datetime) -> dict[str, int]:
    """A ``copilot-organization-seat-breakdown`` for an org's seat records at ``now``."""
    month = now.astimezone(UTC).strftime("%Y-%m")
    seats = [r for r in records if isinstance(r, dict)]

    def this_month(key: str) -> int:
        return sum(1 for r in seats if str(r.get(key) or "").startswith(month))

    active = this_month("last_activity_at")
    return {
        "total": len(records),
        "added_this_cycle": this_month("created_at"),
        "pending_cancellation": sum(1 for r in seats if r.get("pending_cancellation_date")),
        "pending_invitation": 0,
        "active_this_cycle": active,
        "inactive_this_cycle": len(records) - active,
    }


def login_of(record: Any) -> str | None:
    """The assignee login of a seat record, or ``None`` for records without one."""
    if isinstance(record, dict):
        assignee = record.get("assignee")
        login = assignee.get("login") if isinstance(assignee, dict) else None
        if isinstance(login, str):
            return login
    return None
