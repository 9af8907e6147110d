"""The simulated usage reports against GitHub's OpenAPI, and their signed download links.

The schema is tests/data/github-openapi-teams-apps-usage.json (@octokit/openapi 23.0.2
``ghec.deref.json``, the team, app and usage subset, as in the shared GitHub reference).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import httpx
import pytest

from reaper.errors import GitHubUnavailableError
from reaper.github import GitHubClient
from reaper.github.usage import UsageScan, download, latest_report

from .openapi_check import assert_request_conforms, validate_exchange
from .support import TOKEN
from .test_teams_contract import teams_openapi

if TYPE_CHECKING:
    from reaper.simulator import Simulator

    from .support import FakeClock

ORG = "/orgs/acme/copilot/metrics/reports/users-28-day/latest"
ENTERPRISE = "/enterprises/octo/copilot/metrics/reports/users-28-day/latest"


def test_the_report_answers_conform(sim: Simulator, gh: httpx.Client) -> None:
    """The org's and the enterprise's answers, and the 403 and 404, fit the published schema."""
    sim.add_enterprise("octo")
    for path in (ORG, ENTERPRISE):
        answer = gh.get(path)
        assert answer.status_code == 200, answer.text
        validate_exchange(teams_openapi(), answer.request, answer)
        body = answer.json()
        start, end = body["report_start_day"], body["report_end_day"]
        assert end > start, body
        assert len(body["download_links"]) == 1  # one file for a small report
    sim.usage.set_case("acme", "policy_off")
    refused = gh.get(ORG)
    assert refused.status_code == 403
    validate_exchange(teams_openapi(), refused.request, refused)
    sim.usage.set_case("acme", "no_report")
    missing = gh.get(ORG)
    assert missing.status_code == 404
    validate_exchange(teams_openapi(), missing.request, missing)
    assert gh.get("/orgs/nowhere/copilot/metrics/reports/users-28-day/latest").status_code == 404


def test_the_reapers_requests_conform(sim: Simulator) -> None:
    """What the reaper sends for the report fits the spec, for an org and an enterprise."""
    sim.add_enterprise("octo")
    with GitHubClient(base_url=sim.github_url, token=TOKEN) as client:
        latest_report(client, "acme")
        latest_report(client, "enterprise:octo")
    asked = [r for r in sim.requests if "metrics/reports" in r.path]
    assert len(asked) == 2
    for recorded in asked:
        assert_request_conforms(recorded, teams_openapi())


def test_a_link_expires_and_a_forged_one_is_refused(
    sim: Simulator, clock: FakeClock, gh: httpx.Client
) -> None:
    """A link works until it expires, then answers 403; a bad signature answers 403."""
    link = gh.get(ORG).json()["download_links"][0]
    with httpx.Client(timeout=5) as plain:
        assert plain.get(link).status_code == 200
        clock.now += sim.usage.link_ttl + timedelta(seconds=1)
        assert plain.get(link).status_code == 403
        forged = link.replace("sig=", "sig=0")
        assert plain.get(forged).status_code == 403


def test_a_large_report_is_split_and_streamed(sim: Simulator, clock: FakeClock) -> None:
    """100,000 lines come in two files; the reader keeps only the persons asked about."""
    sim.usage.fill("acme", 100_000)
    start, _ = sim.usage.window()
    sim.usage.add("acme", "ida", start + timedelta(days=3))
    with GitHubClient(base_url=sim.github_url, token=TOKEN) as client:
        report = latest_report(client, "acme")
    assert len(report.links) == 2
    scan = UsageScan()
    for url in report.links:
        download(url, ["ida", "user-000007"], timeout=30, scan=scan)
    assert scan.records == 100_001
    assert scan.bad == 0
    assert set(scan.latest) == {"ida", "user-000007"}
    assert scan.latest["ida"] == start + timedelta(days=3)


@pytest.mark.parametrize("case", ["expired", "link_forbidden"])
def test_a_refused_link_is_unavailable(sim: Simulator, case: str) -> None:
    """An expired or refused link raises the adapter's unavailable error, no token in it."""
    sim.usage.set_case("acme", case)
    with GitHubClient(base_url=sim.github_url, token=TOKEN) as client:
        report = latest_report(client, "acme")
    with pytest.raises(GitHubUnavailableError, match="answered 403") as raised:
        download(report.links[0], ["ida"], timeout=5)
    assert TOKEN not in str(raised.value)
