"""How a request to GitHub is authenticated: the one seam every request passes through.

``BearerToken`` sends a fixed token. An ``httpx.Auth`` sets the ``Authorization`` header on
each request as it is sent, so a source of short-lived tokens can take its place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from reaper.errors import GitHubError

if TYPE_CHECKING:
    from collections.abc import Generator


class BearerToken(httpx.Auth):
    """Authenticate every request with one token (``REAPER_GITHUB_TOKEN``)."""

    def __init__(self, token: str) -> None:
        if not token.isascii():
            raise GitHubError("REAPER_GITHUB_TOKEN holds characters an HTTP header cannot carry")
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Set the ``Authorization`` header and send the request once."""
        request.headers["Authorization"] = self._header
        yield request
