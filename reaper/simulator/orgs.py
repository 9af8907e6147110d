"""The simulated organisation endpoints: seat list, billing, one user's seat, cancel and add.

Cancelling a seat assigned through a team fails the whole request (422); adding a user whose
seat is pending cancellation restores it. Both need seat management set to selected users.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING

from reaper.simulator import github_objects as objects
from reaper.simulator.github_http import REST_DOCS, error, seat_page, selected_usernames
from reaper.simulator.server import Response, json_response

if TYPE_CHECKING:
    from reaper.simulator.github_state import GitHubState
    from reaper.simulator.scopes import Org
    from reaper.simulator.server import RecordedRequest

_SEATS = re.compile(r"^/orgs/(?P<org>[^/]+)/copilot/billing/seats$")
_BILLING = re.compile(r"^/orgs/(?P<org>[^/]+)/copilot/billing$")
_MEMBER = re.compile(r"^/orgs/(?P<org>[^/]+)/members/(?P<user>[^/]+)/copilot$")
_USERS = re.compile(r"^/orgs/(?P<org>[^/]+)/copilot/billing/selected_users$")


def route(api: GitHubState, request: RecordedRequest) -> Response:
    """Answer an authenticated request that is not an enterprise one; 404 if none matches."""
    method, path = request.method, request.path
    if method == "GET" and (match := _SEATS.match(path)):
        return _list_seats(api, request, match["org"])
    if method == "GET" and (match := _BILLING.match(path)):
        return _billing(api, match["org"])
    if method == "GET" and (match := _MEMBER.match(path)):
        return _member_seat(api, match["org"], match["user"])
    if method in ("POST", "DELETE") and (match := _USERS.match(path)):
        return _selected_users(api, request, match["org"])
    return error(404, "Not Found", REST_DOCS)


def _list_seats(api: GitHubState, request: RecordedRequest, org_name: str) -> Response:
    org = api.orgs.get(org_name.lower())
    if org is None:
        return error(404, "Not Found")
    return seat_page(request, org.seats, len(org.seats), api.base_url())


def _billing(api: GitHubState, org_name: str) -> Response:
    org = api.orgs.get(org_name.lower())
    if org is None:
        return error(404, "Not Found")
    return json_response(
        200,
        {
            "seat_breakdown": objects.seat_breakdown(org.seats, api.clock()),
            "public_code_suggestions": org.public_code_suggestions,
            "ide_chat": "enabled",
            "platform_chat": "enabled",
            "cli": "enabled",
            "seat_management_setting": org.seat_management_setting,
            "plan_type": org.plan_type,
        },
    )


def _member_seat(api: GitHubState, org_name: str, login: str) -> Response:
    org = api.orgs.get(org_name.lower())
    record = org.find(login) if org else None
    if record is None:
        return error(404, "Not Found")
    return json_response(200, copy.deepcopy(record))


def _selected_users(api: GitHubState, request: RecordedRequest, org_name: str) -> Response:
    org = api.orgs.get(org_name.lower())
    if org is None:
        return error(404, "Not Found")
    names = selected_usernames(request)
    if isinstance(names, Response):
        return names
    if org.seat_management_setting != "assign_selected":
        return error(422, "Copilot seat management is not set to assign selected users.")
    if request.method == "POST":
        return _add_users(api, org, names)
    records = [r for r in (org.find(n) for n in names) if r is not None]
    teamed = [r for r in records if r.get("assigning_team")]
    if teamed:
        who = ", ".join(str(objects.login_of(r)) for r in teamed)
        return error(
            422,
            f"Seat was assigned through a team and cannot be cancelled individually: {who}. "
            "Remove the user from the team or the team from Copilot instead.",
        )
    pending = objects.next_cycle_date(api.clock(), api.billing_cycle_day).isoformat()
    cancelled = 0
    for record in records:
        if not record.get("pending_cancellation_date"):
            record["pending_cancellation_date"] = pending
            cancelled += 1
    return json_response(200, {"seats_cancelled": cancelled})


def _add_users(api: GitHubState, org: Org, names: list[str]) -> Response:
    created = 0
    for name in dict.fromkeys(names):
        record = org.find(name)
        if record is None:
            api.add_seat(org.login, name, created_at=api.clock())
            created += 1
        elif record.get("pending_cancellation_date"):
            record["pending_cancellation_date"] = None  # adding again restores the seat
            created += 1
    return json_response(201, {"seats_created": created})
