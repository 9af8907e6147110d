"""The simulated enterprise endpoints: seat list, one user's grants, cancel and add.

As GitHub documents them: the list holds one record per grant (each member org's records,
then the enterprise-level ones: direct grants and grants through enterprise teams) while
``total_seats`` counts each user once; enterprise-level records have ``organization: null``.
The enterprise-level ``selected_users`` endpoints cancel and add direct grants only. Only
classic personal access tokens are accepted: a fine-grained token (``github_pat_``) or an app
token (``ghs_``, ``ghu_``) is refused with 403 before anything else is looked at.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from reaper.core.domain import enterprise_scope
from reaper.simulator import github_objects as objects
from reaper.simulator.github_http import (
    REST_DOCS,
    error,
    seat_page,
    selected_usernames,
    unique,
)
from reaper.simulator.scopes import persons
from reaper.simulator.server import Response, json_response

if TYPE_CHECKING:
    from reaper.simulator.github_state import GitHubState
    from reaper.simulator.scopes import Enterprise
    from reaper.simulator.server import RecordedRequest

PREFIX = "/enterprises/"
_SEATS = re.compile(r"^/enterprises/(?P<slug>[^/]+)/copilot/billing/seats$")
_MEMBER = re.compile(r"^/enterprises/(?P<slug>[^/]+)/members/(?P<user>[^/]+)/copilot$")
_USERS = re.compile(r"^/enterprises/(?P<slug>[^/]+)/copilot/billing/selected_users$")
# Token prefixes the enterprise endpoints refuse, and who GitHub says the token belongs to.
REFUSED_TOKENS = {
    "github_pat_": "personal access token",
    "ghs_": "integration",
    "ghu_": "integration",
}


def refusal(token: str) -> Response | None:
    """The 403 GitHub answers on enterprise endpoints for a fine-grained or app token."""
    for prefix, kind in REFUSED_TOKENS.items():
        if token.startswith(prefix):
            return error(403, f"Resource not accessible by {kind}")
    return None


def route(api: GitHubState, request: RecordedRequest) -> Response:
    """Answer an authenticated request whose path starts with ``/enterprises/``."""
    refused = refusal(api.token)
    if refused is not None:
        return refused
    method, path = request.method, request.path
    if method == "GET" and (match := _SEATS.match(path)):
        return _list_seats(api, request, match["slug"])
    if method == "GET" and (match := _MEMBER.match(path)):
        return _member(api, match["slug"], match["user"])
    if method in ("POST", "DELETE") and (match := _USERS.match(path)):
        return _selected_users(api, request, match["slug"])
    return error(404, "Not Found", REST_DOCS)


def records(api: GitHubState, enterprise: Enterprise) -> list[Any]:
    """Every record the enterprise's list shows, in order: member orgs', then its own."""
    listed: list[Any] = []
    for key in enterprise.orgs:
        listed += api.orgs[key].seats
    return listed + enterprise.seats


def _list_seats(api: GitHubState, request: RecordedRequest, slug: str) -> Response:
    enterprise = api.enterprises.get(slug.lower())
    if enterprise is None:
        return error(404, "Not Found")
    listed, count = _listing(api, enterprise)
    return seat_page(request, listed, count, api.base_url())


def _listing(api: GitHubState, enterprise: Enterprise) -> tuple[list[Any], int]:
    """The list and its person count, rebuilt only when a record came or went since last.

    Keyed on the member orgs and each holder's ``revision`` and length (records are added
    and removed only through ``add`` and ``drop``); changes inside a record (a cancellation,
    new activity) show through, as the cached list holds the records themselves.
    """
    holders = [api.orgs[key] for key in enterprise.orgs] + [enterprise]
    key = (tuple(enterprise.orgs), tuple((h.revision, len(h.seats)) for h in holders))
    if enterprise.listing is None or enterprise.listing[0] != key:
        listed = records(api, enterprise)
        enterprise.listing = (key, listed, persons(listed))
    return enterprise.listing[1], enterprise.listing[2]


def _member(api: GitHubState, slug: str, login: str) -> Response:
    """All of one user's grants in the enterprise, org and enterprise level alike.

    ``total_seats`` is 1: the enterprise counts the user once however many records grant
    them, as the list's ``total_seats`` does.
    """
    enterprise = api.enterprises.get(slug.lower())
    if enterprise is None:
        return error(404, "Not Found")
    grants = [r for key in enterprise.orgs for r in api.orgs[key].grants(login)]
    grants += enterprise.grants(login)
    if not grants:
        return error(404, "Not Found")
    return json_response(200, {"total_seats": 1, "seats": copy.deepcopy(grants)})


def _selected_users(api: GitHubState, request: RecordedRequest, slug: str) -> Response:
    enterprise = api.enterprises.get(slug.lower())
    if enterprise is None:
        return error(404, "Not Found")
    names = selected_usernames(request)
    if isinstance(names, Response):
        return names
    if request.method == "POST":
        return _add(api, enterprise, unique(names))
    return _cancel(api, enterprise, unique(names))


def _cancel(api: GitHubState, enterprise: Enterprise, names: list[str]) -> Response:
    """Cancel direct enterprise-level grants.

    A user granted only through an enterprise team fails the whole request (422), nothing
    changed; users without an enterprise-level grant are ignored.
    """
    direct = {name: enterprise.find(name) for name in names}
    teamed = [
        name
        for name, record in direct.items()
        if record is not None and objects.team_of(record) is not None
    ]
    if teamed:
        return error(
            422,
            "Seat was assigned through an enterprise team and cannot be cancelled "
            f"individually: {', '.join(teamed)}. Remove the user from the enterprise team "
            "or the team from Copilot instead.",
        )
    pending = objects.next_cycle_date(api.clock(), api.billing_cycle_day).isoformat()
    cancelled = 0
    for record in direct.values():
        if record is not None and not record.get("pending_cancellation_date"):
            record["pending_cancellation_date"] = pending
            cancelled += 1
    return json_response(200, {"seats_cancelled": cancelled})


def _add(api: GitHubState, enterprise: Enterprise, names: list[str]) -> Response:
    """Create direct enterprise-level grants, or restore pending ones: both count as created.

    A user already holding the grant (not pending) is not counted; one granted only through
    an enterprise team or an org gets a direct grant of their own.
    """
    created = 0
    for name in names:
        record = next((r for r in enterprise.grants(name) if objects.team_of(r) is None), None)
        if record is None:
            api.add_seat(enterprise_scope(enterprise.slug), name, created_at=api.clock())
            created += 1
        elif record.get("pending_cancellation_date"):
            record["pending_cancellation_date"] = None
            created += 1
    return json_response(201, {"seats_created": created})
