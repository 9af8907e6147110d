"""GitHub's GraphQL endpoint, for identities: SAML and SCIM identities, verified-domain e-mails.

Queries are parsed, validated and run by graphql-core against
``github_identity_schema.graphql``, the identity part of GitHub's published schema (the tests
check it is exactly that), so a query GitHub would refuse is refused here too. State:

- ``add_identity(scope, login, ...)``: an external identity of an org (or ``enterprise:SLUG``)
  with SAML ``nameId`` and e-mails and SCIM ``username`` and e-mails; ``sso(scope)`` turns
  SAML on (an org without it answers ``samlIdentityProvider: null``, as GitHub does);
- ``verified[(org, login)]``: the person's e-mails in the org's verified domains;
- ``unauthorised``: scopes whose SAML enforcement the token is not authorised for (their
  identities answer ``FORBIDDEN`` with GitHub's message, data ``null``);
- ``points``: GraphQL's hourly budget; past it a query answers ``RATE_LIMITED``.
"""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, build_schema, graphql_sync

from reaper.simulator.server import Response, json_response

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from reaper.simulator.server import RecordedRequest

SCHEMA = build_schema(
    (Path(__file__).parent / "github_identity_schema.graphql").read_text(encoding="utf-8")
)
SAML_ENFORCED = (
    "Resource protected by organization SAML enforcement. You must grant your Personal Access "
    "token access to this organization."
)
MAX_PAGE = 100


@dataclass
class _Provider:
    identities: list[dict[str, Any]] = field(default_factory=list)


def _cursor(index: int) -> str:
    return base64.b64encode(f"cursor:{index}".encode()).decode()


def _index(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.b64decode(cursor).decode().removeprefix("cursor:")) + 1
    except ValueError:
        raise GraphQLError("`after` is not a valid cursor") from None


def _connection(identities: list[dict[str, Any]], args: dict[str, Any]) -> dict[str, Any]:
    first = args.get("first")
    if first is None or not 1 <= first <= MAX_PAGE:
        raise GraphQLError("You must provide a `first` value between 1 and 100")
    login = args.get("login")
    chosen = [i for i in identities if not login or i["user"]["login"].lower() == login.lower()]
    start = _index(args.get("after"))
    page = chosen[start : start + first]
    end = start + len(page) - 1
    return {
        "totalCount": len(chosen),
        "nodes": page,
        "pageInfo": {
            "hasNextPage": start + first < len(chosen),
            "hasPreviousPage": start > 0,
            "startCursor": _cursor(start) if page else None,
            "endCursor": _cursor(end) if page else None,
        },
    }


class GraphQLApi:
    """The simulated ``POST /graphql``."""

    def __init__(self, *, token: Callable[[], str], clock: Callable[[], datetime]) -> None:
        self._token = token
        self._clock = clock
        self.lock = threading.Lock()
        self.providers: dict[str, _Provider] = {}  # scopes with SAML on
        self.verified: dict[tuple[str, str], list[str]] = {}
        self.unauthorised: set[str] = set()
        self.points = 5000
        self._used = 0
        self._reset: datetime | None = None
        self.queries = 0

    def sso(self, scope: str) -> None:
        """Turn SAML single sign-on on for an org (or ``enterprise:SLUG``)."""
        with self.lock:
            self.providers.setdefault(scope.lower(), _Provider())

    def add_identity(
        self,
        scope: str,
        login: str,
        *,
        name_id: str | None = None,
        saml_emails: list[str] | None = None,
        scim_username: str | None = None,
        scim_emails: list[str] | None = None,
    ) -> None:
        """Link ``login`` to an external identity of ``scope`` (SAML on, if it was not)."""
        saml = None
        if name_id is not None or saml_emails:
            emails = [
                {"value": e, "primary": n == 0, "type": "work"}
                for n, e in enumerate(saml_emails or [])
            ]
            saml = {"nameId": name_id, "username": name_id, "emails": emails}
        scim = None
        if scim_username is not None or scim_emails:
            emails = [
                {"value": e, "primary": n == 0, "type": "work"}
                for n, e in enumerate(scim_emails or [])
            ]
            scim = {"username": scim_username, "emails": emails}
        node = {
            "guid": f"guid-{login}",
            "samlIdentity": saml,
            "scimIdentity": scim,
            "user": {"login": login},
        }
        with self.lock:
            self.providers.setdefault(scope.lower(), _Provider()).identities.append(node)

    # -- answering ---------------------------------------------------------------------------

    def handle(self, request: RecordedRequest) -> Response:
        """Answer one GraphQL request."""
        scheme, _, credential = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "token") or credential != self._token():
            return json_response(401, {"message": "Bad credentials"})
        body = request.json if isinstance(request.json, dict) else {}
        query, variables = body.get("query"), body.get("variables") or {}
        if not isinstance(query, str) or not isinstance(variables, dict):
            return json_response(
                200,
                {
                    "errors": [
                        {"message": "A query attribute must be specified and must be a string."}
                    ]
                },
            )
        with self.lock:
            self.queries += 1
            headers, exhausted = self._count()
            if exhausted:
                limited = {
                    "type": "RATE_LIMITED",
                    "message": "API rate limit exceeded for user ID 1.",
                }
                return json_response(200, {"errors": [limited]}, headers)
            result = graphql_sync(SCHEMA, query, root_value=self._root(), variable_values=variables)
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [self._error(e) for e in result.errors]
            if result.data is None:
                del payload["data"]
        return json_response(200, payload, headers)

    @staticmethod
    def _error(error: GraphQLError) -> dict[str, Any]:
        out: dict[str, Any] = {"message": error.message}
        if error.path:
            out["path"] = list(error.path)
        kind = (error.extensions or {}).get("type")
        if kind:
            out["type"] = kind
        return out

    def _count(self) -> tuple[dict[str, str], bool]:
        now = self._clock()
        if self._reset is None or now >= self._reset:
            self._reset, self._used = now.replace(microsecond=0) + timedelta(hours=1), 0
        self._used += 1
        used = min(self._used, self.points)
        return {
            "X-RateLimit-Limit": str(self.points),
            "X-RateLimit-Remaining": str(self.points - used),
            "X-RateLimit-Used": str(used),
            "X-RateLimit-Reset": str(int(self._reset.timestamp())),
            "X-RateLimit-Resource": "graphql",
        }, self._used > self.points

    def _root(self) -> dict[str, Any]:
        reset = self._reset.isoformat() if self._reset else None
        limit: dict[str, Any] = {"cost": 1, "limit": self.points, "nodeCount": 0}
        limit["used"] = self._used
        limit |= {"remaining": max(self.points - self._used, 0), "resetAt": reset}
        return {
            "rateLimit": lambda _info, **_a: limit,
            "organization": lambda _info, login: self._owner(login, {"login": login}),
            "enterprise": lambda _info, slug, **_a: self._enterprise(slug),
            "user": lambda _info, login: self._user(login),
        }

    def _provider(self, scope: str) -> dict[str, Any] | None:
        if scope.lower() in self.unauthorised:
            raise GraphQLError(SAML_ENFORCED, extensions={"type": "FORBIDDEN"})
        provider = self.providers.get(scope.lower())
        if provider is None:
            return None
        identities = provider.identities
        return {
            "ssoUrl": "https://idp.example/sso",
            "externalIdentities": lambda _info, **args: _connection(identities, args),
        }

    def _owner(self, scope: str, base: dict[str, Any]) -> dict[str, Any]:
        return base | {"samlIdentityProvider": lambda _info: self._provider(scope)}

    def _enterprise(self, slug: str) -> dict[str, Any]:
        owner = self._owner(f"enterprise:{slug}", {})
        return {"slug": slug, "ownerInfo": owner}

    def _user(self, login: str) -> dict[str, Any]:
        def emails(_info: object, login: str) -> list[str]:
            if login.lower() in self.unauthorised:
                raise GraphQLError(SAML_ENFORCED, extensions={"type": "FORBIDDEN"})
            return list(self.verified.get((login.lower(), person.lower()), []))

        person = login
        return {"login": login, "organizationVerifiedDomainEmails": emails}
