"""GitHub's answers turned into the reaper's errors: what to retry, what to raise, what to say.

Messages quote GitHub's own error text only short and scrubbed (a body may echo the token).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from reaper.errors import (
    BadResponseError,
    GitHubAuthError,
    GitHubError,
    GitHubNotFoundError,
    GitHubUnprocessableError,
)
from reaper.redact import snippet

if TYPE_CHECKING:
    import httpx

BODY_SNIPPET = 200


class RetryableError(Exception):
    """A failure worth another try; ``wait`` is the delay GitHub asked for, if any."""

    def __init__(self, reason: str, wait: float | object | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


def raise_for(
    response: httpx.Response, method: str, url: str, wait: float | object | None
) -> httpx.Response:
    """Raise the error an unsuccessful answer means (``RetryableError`` when worth a retry)."""
    status = response.status_code
    where = f"{method} {path_of(url)}"
    if wait is not None:
        raise RetryableError(f"rate limited ({status}) on {where}", wait)
    if status >= 500:
        raise RetryableError(f"GitHub answered {status} on {where}")
    text = message(response)
    if status == 401:
        raise GitHubAuthError(f"GitHub refused the token (401) on {where}: {text}", status=401)
    if status == 403:
        raise GitHubAuthError(f"GitHub forbade {where} (403): {text}", status=403)
    if status == 404:
        raise GitHubNotFoundError(f"GitHub has no {path_of(url)} (404)", status=404)
    if status == 422:
        raise GitHubUnprocessableError(f"GitHub refused {where} (422): {text}", status=422)
    raise GitHubError(f"GitHub answered {status} on {where}: {text}", status=status)


def json_body(response: httpx.Response) -> Any:
    """The answer's JSON; ``BadResponseError`` when it is not JSON."""
    try:
        return response.json()
    except (ValueError, RecursionError):  # RecursionError: nested too deeply to parse
        raise BadResponseError(f"GitHub's answer to {response.url.path} is not JSON") from None


def message(response: httpx.Response) -> str:
    """GitHub's error message, short and scrubbed: bodies may echo the request's token."""
    try:
        body = response.json()
    except ValueError:
        return snippet(response.text, BODY_SNIPPET)
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return snippet(body["message"], BODY_SNIPPET)
    return ""


def path_of(url: str) -> str:
    """The path of a request URL, with one leading slash, for messages."""
    return "/" + urlsplit(url).path.lstrip("/")
