"""The simulated GitHub Apps: key pairs, installations on orgs, JWTs checked, tokens minted.

``AppRegistry`` holds Apps (each with an RSA key pair whose private half is handed to the
test as PEM), their installations on orgs with the permissions granted, and the installation
tokens issued. It answers ``GET /app``, ``GET /orgs/{org}/installation`` and
``POST /app/installations/{id}/access_tokens`` for a JWT, which it checks as GitHub does
(RS256 signature by the App's key, ``iss`` the App's ID or client ID, ``exp`` at most ten
minutes ahead and not past, ``iat`` not in the future beyond a minute of skew). Installation
tokens expire after ``token_lifetime`` (tests shorten it); after that they get 401 "Bad
credentials". Tokens come in GitHub's new long form (``ghs_`` and about 520 characters with
dots) unless ``long_tokens`` is False (the old 40-character form).
"""

from __future__ import annotations

import secrets
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from reaper.simulator import app_objects
from reaper.simulator import github_objects as objects
from reaper.simulator.app_objects import App, Installation, IssuedToken
from reaper.simulator.github_http import REST_DOCS, error
from reaper.simulator.rate_buckets import RateBuckets
from reaper.simulator.server import Response, json_response

if TYPE_CHECKING:
    from collections.abc import Callable

    from reaper.simulator.server import RecordedRequest

APPS_DOCS = "https://docs.github.com/rest/apps/apps"
JWT_DOCS = "https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app"
SKEW = timedelta(seconds=60)
MAX_JWT_LIFETIME = timedelta(minutes=10)
INSTALLATION_RATE_LIMIT = 15_000  # an org installation on GitHub Enterprise Cloud, an hour
APP_RATE_LIMIT = 5_000  # the App's own (JWT) requests, an hour
DEFAULT_PERMISSIONS = {
    "organization_copilot_seat_management": "write",
    "organization_copilot_metrics": "read",
    "members": "read",
}
_LEVEL = {"read": 1, "write": 2}
_ORG_INSTALLATION = "/orgs/"
_MINT_PREFIX = "/app/installations/"
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


class AppRegistry:
    """Apps, installations and issued installation tokens of the simulated GitHub."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.token_lifetime = timedelta(hours=1)
        self.long_tokens = True
        self.lock = threading.RLock()
        self.apps: dict[int, App] = {}
        self.installations: dict[int, Installation] = {}
        self.tokens: dict[str, IssuedToken] = {}
        self.minted = 0
        self.installation_rate_limit = INSTALLATION_RATE_LIMIT
        self.app_rate_limit = APP_RATE_LIMIT
        self.rate_buckets = RateBuckets(clock)  # every credential's window, classic token too

    def bucket(self, credential: str) -> tuple[str, int] | None:
        """The rate-limit bucket and hourly limit of ``credential``; ``None`` if not the App's."""
        if credential.startswith("eyJ"):
            return "app", self.app_rate_limit
        with self.lock:
            issued = self.tokens.get(credential)
            if issued is None:
                return None
            installation = issued.installation
            limit = installation.rate_limit or self.installation_rate_limit
            return f"installation:{installation.installation_id}", limit

    def add_app(self, app_id: int = 1001, *, slug: str = "seat-reaper") -> App:
        """Register an App with a fresh 2048-bit RSA key pair; return it (key included)."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        app = App(app_id, slug, f"Iv23li{secrets.token_hex(5)}", key)
        with self.lock:
            self.apps[app_id] = app
        return app

    def install(
        self,
        app_id: int,
        org: str,
        *,
        permissions: dict[str, str] | None = None,
        installation_id: int | None = None,
        rate_limit: int | None = None,
    ) -> Installation:
        """Install App ``app_id`` on ``org`` with ``permissions`` (or ``DEFAULT_PERMISSIONS``).

        ``rate_limit``: the installation's hourly limit (default ``installation_rate_limit``).
        """
        with self.lock:
            number = installation_id or 50_000 + len(self.installations) + 1
            installation = Installation(
                number,
                self.apps[app_id],
                org,
                dict(DEFAULT_PERMISSIONS if permissions is None else permissions),
                self.clock(),
                rate_limit,
            )
            self.installations[number] = installation
            return installation

    def expire_tokens(self) -> None:
        """Make every token issued so far expired (as if its hour had passed)."""
        with self.lock:
            for issued in self.tokens.values():
                issued.expires_at = self.clock() - timedelta(seconds=1)

    # -- requests ----------------------------------------------------------------------------

    def token_holder(self, credential: str) -> IssuedToken | None:
        """The issued token ``credential`` is, still valid; ``None`` if unknown or expired."""
        with self.lock:
            issued = self.tokens.get(credential)
            if issued is None or self.clock() >= issued.expires_at:
                return None
            return issued

    def answer_jwt(self, request: RecordedRequest, credential: str) -> Response:
        """Answer a request made with a JWT: check the JWT, then serve the App endpoints."""
        with self.lock:
            app = self._check_jwt(credential)
            if isinstance(app, Response):
                return app
            path = request.path
            if request.method == "GET" and path == "/app":
                return json_response(200, app_objects.app_body(app))
            if request.method == "GET" and path.startswith(_ORG_INSTALLATION):
                parts = path.split("/")
                if len(parts) == 4 and parts[3] == "installation":
                    return self._org_installation(app, parts[2])
            if request.method == "POST" and path.startswith(_MINT_PREFIX):
                number = path.removeprefix(_MINT_PREFIX).removesuffix("/access_tokens")
                if path.endswith("/access_tokens") and number.isdigit():
                    return self._mint(app, int(number), request)
            return error(
                403,
                "A JSON web token cannot be used to access this resource: use an installation "
                "access token",
                JWT_DOCS,
            )

    def _check_jwt(self, credential: str) -> App | Response:
        try:
            header = jwt.get_unverified_header(credential)
            claims = jwt.decode(credential, options={"verify_signature": False})
        except jwt.PyJWTError:
            return error(401, "A JSON web token could not be decoded", JWT_DOCS)
        app = self._issuer(claims.get("iss"))
        if app is None:
            return error(401, "'Issuer' claim ('iss') must be the ID of a GitHub App", JWT_DOCS)
        if header.get("alg") != "RS256":
            return error(401, "A JSON web token could not be decoded", JWT_DOCS)
        try:
            jwt.decode(
                credential,
                app.key.public_key(),
                algorithms=["RS256"],
                options={"verify_exp": False, "verify_iat": False, "verify_iss": False},
            )
        except jwt.PyJWTError:
            return error(401, "A JSON web token could not be decoded", JWT_DOCS)
        now = self.clock().timestamp()
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int) or iat > now + SKEW.total_seconds():
            return error(
                401,
                "'Issued at' claim ('iat') must be an Integer representing a time in the past",
                JWT_DOCS,
            )
        if not isinstance(exp, int) or exp > now + MAX_JWT_LIFETIME.total_seconds():
            return error(401, "'Expiration time' claim ('exp') is too far in the future", JWT_DOCS)
        if exp <= now:
            return error(401, "'Expiration time' claim ('exp') must be in the future", JWT_DOCS)
        return app

    def _issuer(self, iss: object) -> App | None:
        for app in self.apps.values():
            if iss in (app.app_id, str(app.app_id), app.client_id):
                return app
        return None

    def _org_installation(self, app: App, org: str) -> Response:
        for installation in self.installations.values():
            if installation.app is app and installation.org.lower() == org.lower():
                return json_response(200, app_objects.installation_body(installation))
        return error(
            404,
            "Not Found",
            f"{APPS_DOCS}#get-an-organization-installation-for-the-authenticated-app",
        )

    def _mint(self, app: App, number: int, request: RecordedRequest) -> Response:
        installation = self.installations.get(number)
        if installation is None or installation.app is not app:
            return error(
                404, "Not Found", f"{APPS_DOCS}#create-an-installation-access-token-for-an-app"
            )
        asked = request.json.get("permissions") if isinstance(request.json, dict) else None
        if request.body and request.json is None:
            return error(400, "Problems parsing JSON", REST_DOCS)
        granted = installation.permissions
        if asked is None:
            asked = dict(granted)
        if not isinstance(asked, dict) or any(
            _LEVEL.get(str(level), 3) > _LEVEL.get(granted.get(str(name), ""), 0)
            for name, level in asked.items()
        ):
            return error(
                422,
                "The permissions requested are not granted to this installation.",
                f"{APPS_DOCS}#create-an-installation-access-token-for-an-app",
            )
        token = _new_token(long=self.long_tokens)
        expires = self.clock().replace(microsecond=0) + self.token_lifetime
        self.tokens[token] = IssuedToken(installation, expires, dict(asked))
        self.minted += 1
        body = {
            "token": token,
            "expires_at": objects.iso(expires),
            "permissions": dict(asked),
            "repository_selection": "selected",
        }
        return json_response(201, body)


def _new_token(*, long: bool) -> str:
    """A token in GitHub's old form (``ghs_`` + 36) or its new long form, with dots."""
    if not long:
        return "ghs_" + "".join(secrets.choice(_ALNUM) for _ in range(36))
    parts = [secrets.token_urlsafe(n) for n in (120, 180, 90)]
    return "ghs_" + ".".join(parts)
