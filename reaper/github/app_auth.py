"""GitHub App authentication: a JWT signed by the App's key, installation tokens per org.

``AppAuth`` is an ``httpx.Auth``: each request to ``/orgs/{org}/...`` carries that org's
installation token, each request to ``/enterprises/...`` the classic token
(``REAPER_GITHUB_TOKEN``, which GitHub requires there). An org's token is minted when first
needed (``GET /orgs/{org}/installation`` unless the installation ID is configured, then
``POST /app/installations/{id}/access_tokens`` asking only for the permissions the reaper
uses), kept in memory only, renewed at least ``RENEW_BEFORE`` ahead of its ``expires_at``,
and renewed once more when GitHub answers 401 (``renew``, called by the session, which then
retries). The minting requests go through the same session, so they are paced, retried and
counted like any other; each credential draws on its own rate limit (``bucket``), and the act
step counts the mints it will need (``mint_requests``). No token, JWT or key is ever logged
or put in an error.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from reaper.errors import GitHubAuthError, GitHubError, GitHubNotFoundError
from reaper.github.answers import json_body
from reaper.logs import get_logger

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Mapping

    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

log = get_logger(__name__)

RENEW_BEFORE = timedelta(minutes=5)
JWT_BACKDATE = timedelta(seconds=60)  # GitHub's advice against clock drift
JWT_LIFETIME = timedelta(minutes=9)  # with the backdating, 10 minutes: GitHub's maximum
APP_BUCKET = "app"  # the rate-limit bucket of the App's own (JWT) requests
SEATS = "organization_copilot_seat_management"
MEMBERS = "members"
METRICS = "organization_copilot_metrics"  # read: the usage report (REAPER_USAGE_REPORT)
_LEVEL = {"read": 1, "write": 2}
_ORG_PATH = re.compile(r"^orgs/(?P<org>[^/]+)(?:/|$)")
CHECK_JWT = (
    "check REAPER_GITHUB_APP_ID (the App's ID or client ID), that "
    "REAPER_GITHUB_APP_PRIVATE_KEY is a current private key of that App, and this machine's "
    "clock (the JWT is dated by it)"
)


class AppAuthError(GitHubError):
    """GitHub refused the App (its JWT) or has no usable installation for an org."""


def app_jwt(app_id: str, key: RSAPrivateKey, now: datetime) -> str:
    """A JWT that authenticates as the App: RS256, ``iat`` 60 s back, 10 minutes in all."""
    issued = int((now - JWT_BACKDATE).timestamp())
    expires = int((now + JWT_LIFETIME).timestamp())
    import jwt  # noqa: PLC0415  (PyJWT and cryptography load only with App auth)

    return jwt.encode({"iat": issued, "exp": expires, "iss": app_id}, key, algorithm="RS256")


def missing_permissions(granted: Mapping[str, str], needed: Mapping[str, str]) -> list[str]:
    """The needed permissions (``name: level``) that ``granted`` lacks or grants too low."""
    return [
        f"{name}: {level}"
        for name, level in needed.items()
        if _LEVEL.get(granted.get(name, ""), 0) < _LEVEL[level]
    ]


@dataclass(frozen=True, slots=True)
class Installation:
    """An org's installation of the App and its current token (the token is never shown)."""

    org: str
    installation_id: int
    permissions: dict[str, str]
    expires_at: datetime
    token: str

    def __repr__(self) -> str:
        return f"Installation(org={self.org!r}, id={self.installation_id}, token=***)"


class _Bearer(httpx.Auth):
    def __init__(self, credential: str, bucket: str = "token") -> None:
        self._header = f"Bearer {credential}"
        self._bucket = bucket

    def bucket(self, _path: str) -> str:
        return self._bucket

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


class AppAuth(httpx.Auth):
    """Authenticate each request as the App's installation on its org (or the classic token)."""

    def __init__(
        self,
        *,
        app_id: str,
        private_key: RSAPrivateKey,
        needed: Mapping[str, str],
        clock: Callable[[], datetime],
        installation_id: int | None = None,
        classic_token: str | None = None,
    ) -> None:
        self.app_id = app_id
        self._key = private_key
        self.needed = dict(needed)
        self._clock = clock
        self._installation_id = installation_id
        self._classic = None if classic_token is None else _Bearer(classic_token)
        self._lock = threading.RLock()
        self._installations: dict[str, Installation] = {}
        self._send: Callable[..., httpx.Response] | None = None
        self._base_path = "/"
        self.minted = 0

    def bind(self, send: Callable[..., httpx.Response], base_path: str) -> None:
        """Mint through ``send`` (the session's ``request``); paths are under ``base_path``."""
        self._send, self._base_path = send, base_path

    def __repr__(self) -> str:
        return f"AppAuth(app_id={self.app_id!r})"

    # -- httpx.Auth ----------------------------------------------------------------------

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Set the org's installation token (minted or renewed first if needed) and send."""
        org = self._org_of(request)
        if org is None:
            if self._classic is None:
                raise AppAuthError(
                    f"{request.method} {request.url.path} needs REAPER_GITHUB_TOKEN: a GitHub "
                    "App token is used only on organisation endpoints"
                )
            yield from self._classic.auth_flow(request)
            return
        request.headers["Authorization"] = f"Bearer {self.installation(org).token}"
        yield request

    def bucket(self, path: str) -> str:
        """The rate-limit bucket of a request to ``path``: its org's installation, or the token."""
        org = self._org_of_path(path)
        return "token" if org is None else f"installation:{org.lower()}"

    def mint_requests(self, org: str, until: datetime) -> tuple[str, int]:
        """The bucket and number of requests to renew the org's token before ``until``."""
        with self._lock:
            current = self._installations.get(org.lower())
        if current is not None and until < current.expires_at - RENEW_BEFORE:
            return APP_BUCKET, 0
        return APP_BUCKET, 1 if self._installation_id is not None else 2  # lookup, then mint

    def renew(self, request: httpx.Request) -> bool:
        """After a 401: drop the org's token so the retry mints a new one; False if none."""
        org = self._org_of(request)
        if org is None:
            return False
        with self._lock:
            dropped = self._installations.pop(org.lower(), None)
        if dropped is not None:
            log.info("github.app_token_refused", org=org, installation=dropped.installation_id)
        return dropped is not None

    # -- the App's own endpoints -----------------------------------------------------------

    def jwt(self) -> str:
        """A fresh JWT for the App's own endpoints."""
        return app_jwt(self.app_id, self._key, self._clock())

    def app_info(self) -> dict[str, Any]:
        """``GET /app``: the App as GitHub knows it (accepts the JWT or raises ``AppAuthError``)."""
        body = json_body(self._as_app("GET", "app", "the App"))
        return body if isinstance(body, dict) else {}

    def installation(self, org: str) -> Installation:
        """The org's installation with a token valid at least ``RENEW_BEFORE`` longer."""
        with self._lock:
            current = self._installations.get(org.lower())
            if current is not None and self._clock() < current.expires_at - RENEW_BEFORE:
                return current
            fresh = self._mint(org)
            self._installations[org.lower()] = fresh
            return fresh

    def _mint(self, org: str) -> Installation:
        number, granted = self._installation_id, None
        if number is None:
            found = json_body(self._as_app("GET", f"orgs/{quote(org, safe='')}/installation", org))
            number = found.get("id") if isinstance(found, dict) else None
            perms = found.get("permissions") if isinstance(found, dict) else None
            if not isinstance(number, int) or not isinstance(perms, dict):
                raise AppAuthError(
                    f"GitHub's answer about the App's installation on {org} is unreadable"
                )
            granted = {str(k): str(v) for k, v in perms.items()}
        asked = self._asked(org, granted)
        answer = self._as_app(
            "POST", f"app/installations/{number}/access_tokens", org, json={"permissions": asked}
        )
        body = json_body(answer)
        token = body.get("token") if isinstance(body, dict) else None
        expires = _parse_time(body.get("expires_at") if isinstance(body, dict) else None)
        if not isinstance(token, str) or not token.isascii() or expires is None:
            raise AppAuthError(f"GitHub's installation token for {org} is unreadable")
        perms = body.get("permissions")
        given = {str(k): str(v) for k, v in perms.items()} if isinstance(perms, dict) else asked
        self.minted += 1
        log.info("github.app_token_minted", org=org, installation=number, expires_at=str(expires))
        return Installation(org, number, granted or given, expires, token)

    def _asked(self, org: str, granted: dict[str, str] | None) -> dict[str, str]:
        """The needed permissions, each at most at the level granted (read to list seats)."""
        if granted is None:
            return dict(self.needed)
        # Only the seats permission is vital: without ``members`` the team removals are
        # refused, without the metrics the usage report is unavailable (a 403, reported).
        if SEATS in self.needed and SEATS not in granted:
            raise AppAuthError(
                f"the GitHub App's installation on {org} lacks the permission {SEATS}: grant "
                f"{SEATS}: {self.needed[SEATS]} in the App's settings and accept it at "
                f"https://github.com/organizations/{org}/settings/installations"
            )
        return {
            name: min(level, granted[name], key=lambda v: _LEVEL.get(v, 0))
            for name, level in self.needed.items()
            if name in granted
        }

    def _as_app(self, method: str, url: str, what: str, **kwargs: Any) -> httpx.Response:
        if self._send is None:
            raise AppAuthError("the GitHub App authentication is not bound to a session")
        try:
            return self._send(method, url, auth=_Bearer(self.jwt(), APP_BUCKET), **kwargs)
        except GitHubAuthError as exc:
            if exc.status == 401:
                raise AppAuthError(f"GitHub refused the App's JWT ({exc}): {CHECK_JWT}") from None
            raise AppAuthError(f"GitHub refused the App for {what} ({exc.status}): {exc}") from None
        except GitHubNotFoundError:
            if url.startswith("orgs/"):
                raise AppAuthError(
                    f"the GitHub App {self.app_id} is not installed on {what}: install it from "
                    f"the App's page (github.com/apps/<app>/installations/new) or at https://github.com/organizations/{what}/settings/installations"
                ) from None
            raise AppAuthError(
                f"GitHub found no installation {self._installation_id} of the App for {what}: "
                "check REAPER_GITHUB_APP_INSTALLATION_ID"
            ) from None
        except GitHubError as exc:
            if getattr(exc, "status", None) == 422:
                raise AppAuthError(
                    f"the GitHub App's installation for {what} does not grant "
                    f"{', '.join(f'{n}: {v}' for n, v in self.needed.items())}: {exc}"
                ) from None
            raise

    def _org_of(self, request: httpx.Request) -> str | None:
        return self._org_of_path(request.url.path)

    def _org_of_path(self, path: str) -> str | None:
        base = self._base_path if self._base_path.endswith("/") else self._base_path + "/"
        match = _ORG_PATH.match(path.removeprefix(base) if path.startswith(base) else path)
        return None if match is None else match["org"]


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
