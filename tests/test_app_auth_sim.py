"""The simulated GitHub App endpoints: JWTs checked as GitHub does, answers as its spec says.

The spec is tests/data/github-openapi-teams-apps-usage.json (GitHub's published
OpenAPI description of the team, App and usage endpoints).
"""

from __future__ import annotations

import json
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import jwt
import pytest
from openapi_core import OpenAPI

from reaper.github.app_auth import app_jwt
from tests.simulator.openapi_check import OpenAPIRequest, OpenAPIResponse

if TYPE_CHECKING:
    from collections.abc import Iterator

    from reaper.simulator import Simulator
    from reaper.simulator.app_objects import App
    from tests.conftest import FakeClock

SPEC = Path(__file__).parent / "data" / "github-openapi-teams-apps-usage.json"


@cache
def apps_openapi() -> OpenAPI:
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    spec["servers"] = [{"url": "/"}]
    return OpenAPI.from_dict(spec)


@pytest.fixture
def app(sim: Simulator) -> App:
    """App 1001 installed on acme."""
    registered = sim.apps.add_app(1001)
    sim.apps.install(1001, "acme")
    return registered


@pytest.fixture
def http(sim: Simulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.github_url, headers={"User-Agent": "test"}) as client:
        yield client


def as_app(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"}


def conforms(response: httpx.Response) -> None:
    request = OpenAPIRequest.from_httpx(response.request)
    apps_openapi().validate_request(request)
    apps_openapi().validate_response(request, OpenAPIResponse(response))


def test_org_installation_and_token_answers_fit_the_spec(
    app: App, http: httpx.Client, clock: FakeClock
):
    """GET /orgs/{org}/installation and the minted token validate against GitHub's OpenAPI."""
    headers = as_app(app_jwt("1001", app.key, clock.now))
    found = http.get("/orgs/acme/installation", headers=headers)
    assert found.status_code == 200, found.text
    conforms(found)
    assert found.json()["permissions"]["organization_copilot_seat_management"] == "write"
    minted = http.post(
        f"/app/installations/{found.json()['id']}/access_tokens",
        headers=headers,
        json={"permissions": {"organization_copilot_seat_management": "write"}},
    )
    assert minted.status_code == 201, minted.text
    conforms(minted)


def claims(app: App, now: Any, **changes: Any) -> str:
    payload = {
        "iat": int((now - timedelta(seconds=60)).timestamp()),
        "exp": int((now + timedelta(minutes=9)).timestamp()),
        "iss": "1001",
        **changes,
    }
    return jwt.encode(payload, app.key, algorithm="RS256")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"exp": 11 * 60}, "'Expiration time' claim ('exp') is too far in the future"),
        ({"exp": -1}, "'Expiration time' claim ('exp') must be in the future"),
        ({"iat": 5 * 60}, "'Issued at' claim ('iat')"),
        ({"iss": "999"}, "'Issuer' claim ('iss')"),
    ],
)
def test_a_jwt_github_would_refuse_is_refused(
    app: App, http: httpx.Client, clock: FakeClock, change: dict[str, int], message: str
):
    """A JWT GitHub refuses (exp too far or past, iat ahead, unknown iss) gets its 401."""
    now = clock.now
    values: dict[str, Any] = {
        k: (int(now.timestamp()) + v if isinstance(v, int) else v) for k, v in change.items()
    }
    response = http.get("/app", headers=as_app(claims(app, now, **values)))
    assert response.status_code == 401
    assert message in response.json()["message"]


def test_a_jwt_signed_by_another_key_is_refused(
    sim: Simulator, app: App, http: httpx.Client, clock: FakeClock
):
    """The signature is checked against the App's own public key."""
    other = sim.apps.add_app(2002)
    forged = jwt.encode(
        {
            "iat": int(clock.now.timestamp()) - 60,
            "exp": int(clock.now.timestamp()) + 500,
            "iss": "1001",
        },
        other.key,
        algorithm="RS256",
    )
    response = http.get("/app", headers=as_app(forged))
    assert response.status_code == 401
    assert response.json()["message"] == "A JSON web token could not be decoded"


def test_tokens_expire_and_are_refused_after(
    sim: Simulator, app: App, http: httpx.Client, clock: FakeClock
):
    """A token works on its org until expires_at, then 401 Bad credentials; other orgs 403."""
    sim.apps.token_lifetime = timedelta(minutes=2)
    sim.add_org("beta")
    headers = as_app(app_jwt("1001", app.key, clock.now))
    token = http.post("/app/installations/50001/access_tokens", headers=headers).json()["token"]
    assert http.get("/orgs/acme/copilot/billing", headers=as_app(token)).status_code == 200
    assert http.get("/orgs/beta/copilot/billing", headers=as_app(token)).status_code == 403
    clock.advance(minutes=2)
    refused = http.get("/orgs/acme/copilot/billing", headers=as_app(token))
    assert refused.status_code == 401
    assert refused.json()["message"] == "Bad credentials"


def test_asking_for_more_than_granted_is_422(app: App, http: httpx.Client, clock: FakeClock):
    """A token may not ask for a permission the installation lacks (members: write)."""
    response = http.post(
        "/app/installations/50001/access_tokens",
        headers=as_app(app_jwt("1001", app.key, clock.now)),
        json={"permissions": {"members": "write"}},
    )
    assert response.status_code == 422
