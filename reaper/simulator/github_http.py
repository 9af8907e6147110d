"""Answers shared by the simulated org and enterprise endpoints: errors, pages, request bodies."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from reaper.simulator.server import Response, json_response

if TYPE_CHECKING:
    from reaper.simulator.server import RecordedRequest

DOCS = "https://docs.github.com/rest/copilot/copilot-user-management"
REST_DOCS = "https://docs.github.com/rest"


def error(status: int, message: str, docs: str = DOCS) -> Response:
    """A GitHub ``basic-error`` response."""
    return json_response(
        status, {"message": message, "documentation_url": docs, "status": str(status)}
    )


def seat_page(
    request: RecordedRequest, records: list[Any], total_seats: int, base_url: str
) -> Response:
    """One page of a seat list, with a ``Link`` header as GitHub sends.

    ``per_page`` (default 50, at most 100) counts records; the links are ``prev``, ``next``,
    ``last`` and ``first``, absent when everything fits on one page.
    """
    try:
        page = max(1, int(request.query.get("page", ["1"])[0] or 1))
        per_page = min(100, max(1, int(request.query.get("per_page", ["50"])[0] or 50)))
    except ValueError:
        return error(400, "Invalid page or per_page parameter")
    start = (page - 1) * per_page
    # Serialised at once, under the state's lock: the records need no copy of their own.
    body = {"total_seats": total_seats, "seats": records[start : start + per_page]}
    last = max(1, math.ceil(len(records) / per_page))
    links: list[tuple[str, int]] = []
    if page > 1:
        links.append(("prev", min(page - 1, last)))
    if page < last:
        links += [("next", page + 1), ("last", last)]
    if page > 1:
        links.append(("first", 1))
    headers = {"Link": _link_header(request, links, base_url)} if links else {}
    return json_response(200, body, headers)


def _link_header(request: RecordedRequest, links: list[tuple[str, int]], base_url: str) -> str:
    kept = [(k, v) for k, values in request.query.items() if k != "page" for v in values]
    base = f"{base_url}{request.path}"
    return ", ".join(
        f'<{base}?{urlencode([*kept, ("page", str(number))])}>; rel="{rel}"'
        for rel, number in links
    )


def selected_usernames(request: RecordedRequest) -> list[str] | Response:
    """The ``selected_usernames`` of a cancel or add request, or the error GitHub answers."""
    if request.body and request.json is None:
        return error(400, "Problems parsing JSON", REST_DOCS)
    names = request.json.get("selected_usernames") if isinstance(request.json, dict) else None
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        return error(
            422,
            'Invalid request.\n\n"selected_usernames" must be a non-empty array of strings.',
        )
    return names


def unique(names: list[str]) -> list[str]:
    """``names`` without repeats (case-insensitive), first spelling kept, in order."""
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(name.lower(), name)
    return list(seen.values())
