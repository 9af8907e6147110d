"""Simulated Copilot usage reports: the 28-day users report and its signed download links.

``GET /orgs/{org}/copilot/metrics/reports/users-28-day/latest`` (and the enterprise's) answer
``{download_links, report_start_day, report_end_day}`` as GitHub does; the links point back
at this simulator (``/usage-files/...``), are signed with a secret of its own and expire
(``link_ttl``), and are served without any GitHub token, as signed blob links are. The files
are NDJSON, one record per user and day. A fault switch per scope (``set_case``) serves
what GitHub may answer instead:

- ``policy_off``: 403, the "Copilot usage metrics" policy is off;
- ``no_report``: 404, no report yet (or a missing permission);
- ``empty``: 204 with no body;
- ``expired``: links already expired (the file answers 403 ``Request has expired``);
- ``link_forbidden``: links whose signature the file server refuses (403);
- ``bad_lines``: a file with a line that is not JSON and a line over 1 MB.

``fill(scope, lines)`` adds that many records of other users (a large file: 100,000 lines
make about 20 MB), split over two links.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from reaper.core.domain import enterprise_scope
from reaper.simulator.github_http import error
from reaper.simulator.server import Response, json_response, text_response

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import date

    from reaper.simulator.server import RecordedRequest

FILES = "/usage-files/"
SUFFIX = "/copilot/metrics/reports/users-28-day/latest"
CASES = ("ok", "policy_off", "no_report", "empty", "expired", "link_forbidden", "bad_lines")
METRICS_DOCS = "https://docs.github.com/rest/copilot/copilot-usage-metrics"
LAG_DAYS = 2  # data for a day arrives within about two UTC days
DAYS = 28


#: The App permission an installation token needs for the report (read).
PERMISSION = "organization_copilot_metrics"


def handles(path: str) -> bool:
    """Tell whether a request path is a latest 28-day users report."""
    return path.endswith(SUFFIX) and path.startswith(("/orgs/", "/enterprises/"))


def record(login: str, day: date, **fields: Any) -> dict[str, Any]:
    """One person-day record as the report files hold it; ``fields`` override the counts."""
    base: dict[str, Any] = {
        "user_login": login,
        "user_id": int(hashlib.sha256(login.lower().encode()).hexdigest()[:8], 16),
        "day": day.isoformat(),
        "user_initiated_interaction_count": 0,
        "code_generation_activity_count": 0,
        "code_acceptance_activity_count": 0,
        "used_chat": False,
        "used_agent": False,
        "used_cli": False,
        "used_copilot_code_review_active": False,
        "totals_by_ide": [],
        "totals_by_feature": [],
    }
    return base | fields


class UsageReports:
    """Per scope: person-day records, extra generated lines, and the answer's fault switch."""

    def __init__(
        self,
        clock: Callable[[], datetime],
        base_url: Callable[[], str],
        exists: Callable[[str], bool],
    ) -> None:
        self.clock = clock
        self.base_url = base_url
        self.exists = exists
        self.link_ttl = timedelta(minutes=5)
        self._lock = threading.Lock()
        self._secret = secrets.token_bytes(16)
        self._records: dict[str, list[dict[str, Any]]] = {}
        self._fill: dict[str, int] = {}
        self._cases: dict[str, str] = {}
        self._files: dict[str, bytes] = {}
        self._names: dict[str, list[str]] = {}

    # -- state ---------------------------------------------------------------------------

    def window(self) -> tuple[date, date]:
        """The days the latest report covers: 28 days ending two days before the clock's."""
        end = self.clock().date() - timedelta(days=LAG_DAYS)
        return end - timedelta(days=DAYS - 1), end

    def add(self, scope: str, login: str, day: date, **fields: Any) -> None:
        """Record what ``login`` did on ``day`` in ``scope``'s report (see ``record``).

        With no count given, one user-initiated interaction: the person was active.
        """
        fields = fields or {"user_initiated_interaction_count": 1}
        with self._lock:
            self._records.setdefault(scope.lower(), []).append(record(login, day, **fields))

    def fill(self, scope: str, lines: int) -> None:
        """Add ``lines`` records of other users (``user-000001`` ...) to the scope's files."""
        with self._lock:
            self._fill[scope.lower()] = lines

    def set_case(self, scope: str, case: str) -> None:
        """Serve ``case`` (one of ``CASES``) for the scope's report from now on."""
        if case not in CASES:
            raise ValueError(f"unknown usage report case {case!r}: one of {', '.join(CASES)}")
        with self._lock:
            self._cases[scope.lower()] = case

    # -- HTTP ----------------------------------------------------------------------------

    def route(self, request: RecordedRequest) -> Response:
        """Answer ``GET .../copilot/metrics/reports/users-28-day/latest``."""
        if request.method != "GET":
            return error(404, "Not Found", METRICS_DOCS)
        kind, name = request.path.split("/")[1:3]
        scope = enterprise_scope(name) if kind == "enterprises" else name
        if not self.exists(scope):
            return error(404, "Not Found", METRICS_DOCS)
        with self._lock:
            case = self._cases.get(scope.lower(), "ok")
            if case == "policy_off":
                what = "enterprise" if kind == "enterprises" else "organization"
                return error(403, f"Copilot Usage Metrics API access is disabled for this {what}.")
            if case == "no_report":
                return error(404, "Not Found", METRICS_DOCS)
            if case == "empty":
                return Response(204)
            start, end = self.window()
            parts = self._build(scope.lower(), start, end, case)
            for old in self._names.pop(scope.lower(), []):  # earlier links of the scope go
                self._files.pop(old, None)
            links = [self._link(scope.lower(), body, case) for body in parts]
        payload = {
            "download_links": links,
            "report_start_day": start.isoformat(),
            "report_end_day": end.isoformat(),
        }
        return json_response(200, payload)

    def serve_file(self, request: RecordedRequest) -> Response:
        """Serve a signed report file; 403 when the link expired or its signature is wrong."""
        name = request.path.removeprefix(FILES)
        expires = (request.query.get("expires") or [""])[0]
        signature = (request.query.get("sig") or [""])[0]
        if not hmac.compare_digest(signature, self._sign(name, expires)):
            return text_response(403, "AuthenticationFailed: Signature did not match")
        if not expires.isdigit() or int(expires) < self.clock().timestamp():
            return text_response(403, "AuthenticationFailed: Request has expired")
        with self._lock:
            body = self._files.get(name)
        if body is None:
            return text_response(404, "BlobNotFound")
        return Response(200, {"Content-Type": "application/x-ndjson"}, body)

    # -- plumbing ------------------------------------------------------------------------

    def _build(self, key: str, start: date, end: date, case: str) -> list[bytes]:
        kept = [
            r
            for r in self._records.get(key, [])
            if start.isoformat() <= r["day"] <= end.isoformat()
        ]
        lines = [json.dumps(r).encode() for r in kept]
        for n in range(self._fill.get(key, 0)):
            day = start + timedelta(days=n % DAYS)
            user = f"user-{n // DAYS:06d}"
            lines.append(
                json.dumps(record(user, day, code_generation_activity_count=n % 3)).encode()
            )
        if case == "bad_lines":
            lines[:0] = [b"{not json", b'{"user_login": "' + b"x" * (1024 * 1024 + 10) + b'"}']
        if len(lines) < 1000:
            return [b"".join(line + b"\n" for line in lines)]
        half = len(lines) // 2
        return [b"".join(line + b"\n" for line in part) for part in (lines[:half], lines[half:])]

    def _link(self, key: str, body: bytes, case: str) -> str:
        name = f"{secrets.token_hex(8)}.ndjson"
        self._files[name] = body
        self._names.setdefault(key, []).append(name)
        ttl = -timedelta(seconds=1) if case == "expired" else self.link_ttl
        expires = str(int((self.clock() + ttl).timestamp()))
        signature = self._sign(name, expires)
        if case == "link_forbidden":
            signature = "0" * len(signature)
        return f"{self.base_url()}{FILES}{name}?expires={expires}&sig={signature}"

    def _sign(self, name: str, expires: str) -> str:
        return hmac.new(self._secret, f"{name}:{expires}".encode(), hashlib.sha256).hexdigest()
