"""Check HTTP exchanges against GitHub's published OpenAPI description of the seat endpoints.

The spec is ``tests/data/github-copilot-openapi.json``: the Copilot seat-management subset of
npm ``@octokit/openapi`` 23.0.2, ``generated/ghec.json``, with descriptions removed. Its
``servers`` entry (``https://api.github.com``) is replaced by ``/`` so that only the path is
matched and the same spec validates traffic to the simulator on 127.0.0.1:PORT.

Usage::

    from tests.simulator.openapi_check import assert_request_conforms, validate_exchange

    for recorded in sim.requests:           # what the reaper sent
        if not recorded.path.startswith("/slack/"):
            assert_request_conforms(recorded)

    response = client.get("/orgs/acme/copilot/billing/seats")   # an httpx.Response
    validate_exchange(github_openapi(), response.request, response)
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from reaper.simulator import RecordedRequest

if TYPE_CHECKING:
    import httpx

SPEC_PATH = Path(__file__).resolve().parent.parent / "data" / "github-copilot-openapi.json"


def _restore_descriptions(spec: dict[str, Any]) -> None:
    """Put back the response ``description`` OpenAPI 3.0 requires (the subset dropped them)."""
    responses = [
        response
        for item in spec["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "responses" in operation
        for response in operation["responses"].values()
    ]
    responses += spec.get("components", {}).get("responses", {}).values()
    for response in responses:
        if "$ref" not in response:
            response.setdefault("description", "")


@cache
def github_openapi() -> OpenAPI:
    """The seat-endpoint spec, with servers relaxed to match any host.

    The spec itself is validated when loaded (openapi-spec-validator), after restoring the
    empty response descriptions that the subset removed.
    """
    spec = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    spec["servers"] = [{"url": "/"}]
    _restore_descriptions(spec)
    return OpenAPI.from_dict(spec)


class OpenAPIRequest:
    """openapi_core's ``Request`` protocol over a method, URL, headers and body."""

    def __init__(self, method: str, url: str, headers: dict[str, str], body: bytes) -> None:
        parts = urlsplit(url)
        self.host_url = f"{parts.scheme}://{parts.netloc}"
        self.path = parts.path
        self.method = method.lower()
        self.body: bytes | None = body or None
        self.content_type = next(
            (value for name, value in headers.items() if name.lower() == "content-type"), ""
        ).lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(parts.query, keep_blank_values=True)),
            header=Headers(list(headers.items())),
        )

    @classmethod
    def from_recorded(cls, recorded: RecordedRequest) -> OpenAPIRequest:
        """Wrap a request the simulator recorded."""
        return cls(recorded.method, recorded.url, recorded.headers, recorded.body)

    @classmethod
    def from_httpx(cls, request: httpx.Request) -> OpenAPIRequest:
        """Wrap a request an httpx client sent."""
        return cls(request.method, str(request.url), dict(request.headers), request.content)


class OpenAPIResponse:
    """openapi_core's ``Response`` protocol over an httpx response."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.headers = Headers(list(response.headers.items()))
        self.content_type = response.headers.get("content-type", "").lower()
        self.data: bytes | None = response.content or None


def _adapt(request: RecordedRequest | httpx.Request | OpenAPIRequest) -> OpenAPIRequest:
    if isinstance(request, OpenAPIRequest):
        return request
    if isinstance(request, RecordedRequest):
        return OpenAPIRequest.from_recorded(request)
    return OpenAPIRequest.from_httpx(request)


def validate_exchange(
    openapi: OpenAPI,
    request: RecordedRequest | httpx.Request | OpenAPIRequest,
    response: httpx.Response,
) -> None:
    """Raise openapi_core's validation error unless request and response both fit the spec."""
    adapted = _adapt(request)
    openapi.validate_request(adapted)
    openapi.validate_response(adapted, OpenAPIResponse(response))


def assert_request_conforms(recorded: RecordedRequest, openapi: OpenAPI | None = None) -> None:
    """Raise unless a request recorded by the simulator fits GitHub's published spec.

    Checks the path and method exist, path and query parameters have the right types, and a
    JSON body matches the operation's request-body schema (e.g. ``selected_usernames``).
    """
    (openapi or github_openapi()).validate_request(OpenAPIRequest.from_recorded(recorded))


def describe_errors(error: BaseException) -> Any:
    """Flatten openapi_core's nested schema errors into readable strings (for assertion text)."""
    details = getattr(error, "schema_errors", None) or getattr(error.__cause__, "schema_errors", ())
    return [f"{list(e.absolute_path)}: {e.message}" for e in details] or repr(error)
