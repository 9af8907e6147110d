"""GitHub App authentication: installation tokens minted, renewed, refused, per org."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from reaper.app.checks import github_checks
from reaper.app.teams import team_lines
from reaper.app.wiring import github_client
from reaper.config.settings import Settings
from reaper.errors import GitHubError
from reaper.simulator import Fault
from tests.conftest import GITHUB_TOKEN
from tests.harness import DAY, Reaper

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator
    from reaper.simulator.app_objects import App
    from tests.conftest import FakeClock

APP_ID = 1001


@pytest.fixture
def app(sim: Simulator) -> App:
    """An App installed on acme (which the sim fixture created) with seat management write."""
    registered = sim.apps.add_app(APP_ID)
    sim.apps.install(APP_ID, "acme")
    return registered


def app_settings(sim: Simulator, app: App, tmp_path: Path, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "github_app_id": str(app.app_id),
        "github_app_private_key": app.private_key_pem,
        "github_api_url": sim.github_url,
        "github_orgs": ["acme"],
        "state_url": f"sqlite:///{tmp_path / 'state.db'}",
        **extra,
    }
    return Settings(**values)


def org_requests(sim: Simulator) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in sim.requests if not r.path.startswith("/slack/")]


def test_first_request_mints_a_token_asking_only_what_the_reaper_uses(
    sim: Simulator, app: App, tmp_path: Path
):
    """The first org request looks up the installation, mints seats write and metrics read."""
    sim.add_seat("acme", "alice")
    with github_client(app_settings(sim, app, tmp_path), clock=sim.apps.clock) as client:
        pages = list(client.iter_seat_pages("acme"))
    assert [len(p.seats) for p in pages] == [1]
    assert org_requests(sim) == [
        ("GET", "/orgs/acme/installation"),
        ("POST", "/app/installations/50001/access_tokens"),
        ("GET", "/orgs/acme/copilot/billing/seats"),
    ]
    mint = sim.requests[1]
    assert mint.json == {
        "permissions": {
            "organization_copilot_seat_management": "write",
            "organization_copilot_metrics": "read",  # the usage report (REAPER_USAGE_REPORT)
        }
    }  # not members: the installation grants it, but no REAPER_RECLAIM_TEAMS
    assert mint.headers["authorization"].startswith("Bearer eyJ")
    seats = sim.requests[2].headers["authorization"].removeprefix("Bearer ")
    assert seats.startswith("ghs_")
    assert "." in seats
    assert len(seats) > 400


def test_token_is_reused_then_renewed_five_minutes_before_expiry(
    sim: Simulator, app: App, clock: FakeClock, tmp_path: Path
):
    """One token serves until 5 minutes before its expires_at; then a new one is minted first."""
    with github_client(app_settings(sim, app, tmp_path), clock=clock) as client:
        client.org_billing("acme")
        clock.advance(minutes=54)
        client.org_billing("acme")
        assert sim.apps.minted == 1
        clock.advance(minutes=2)  # 4 minutes left: inside the renewal window
        client.org_billing("acme")
    assert sim.apps.minted == 2
    tokens = {r.headers["authorization"] for r in sim.requests if r.path.endswith("/billing")}
    assert len(tokens) == 2


def test_a_401_renews_the_token_once_and_retries(
    sim: Simulator, app: App, clock: FakeClock, tmp_path: Path
):
    """A token GitHub no longer accepts (401 Bad credentials) is renewed and the request retried."""
    with github_client(app_settings(sim, app, tmp_path), clock=clock) as client:
        client.org_billing("acme")
        sim.apps.expire_tokens()
        assert client.org_billing("acme")["seat_management_setting"] == "assign_selected"
        assert client.responses_by_status[401] == 1
    assert sim.apps.minted == 2


def test_a_401_after_renewal_is_not_retried_again(
    sim: Simulator, app: App, clock: FakeClock, tmp_path: Path
):
    """A second 401 right after a renewal is an error, not a loop of mints."""
    sim.inject(Fault(path="^/orgs/acme/copilot/billing$", status=401, times=2))
    with (
        github_client(app_settings(sim, app, tmp_path), clock=clock) as client,
        pytest.raises(GitHubError, match="401"),
    ):
        client.org_billing("acme")
    assert sim.apps.minted == 2


def test_a_long_cycle_outlives_three_tokens(sim: Simulator, clock: FakeClock, tmp_path: Path):
    """With 7-minute tokens and 4 simulated minutes a request, a live cycle still completes."""
    registered = sim.apps.add_app(APP_ID)
    sim.apps.install(APP_ID, "acme")
    sim.apps.token_lifetime = timedelta(minutes=7)
    for n in range(230):
        sim.add_seat("acme", f"user{n}", created_at=clock.now - 90 * DAY)

    def slow(request: Any) -> bool:
        if request.path.startswith("/orgs/acme/") and "installation" not in request.path:
            clock.advance(minutes=4)
        return False

    sim.before_request = slow
    reaper = Reaper(
        sim,
        clock,
        tmp_path,
        overrides={
            "github_token": None,
            "github_app_id": str(APP_ID),
            "github_app_private_key": registered.private_key_pem,
            "max_cancellations": 1000,
        },
    )
    outcome = reaper.run()
    assert outcome.ok, outcome.error
    assert sim.apps.minted >= 3
    assert len(reaper.flags()) == 230
    statuses = [r.path for r in sim.requests if r.path.startswith("/orgs/acme/copilot")]
    assert len(statuses) >= 4


def test_check_reports_jwt_installation_permissions_and_expiry(
    sim: Simulator, app: App, clock: FakeClock, tmp_path: Path
):
    """`reaper check` says the JWT is accepted and shows acme's installation and token expiry."""
    lines = github_checks(app_settings(sim, app, tmp_path), clock=clock)
    assert lines[0] == (True, "GitHub App seat-reaper (REAPER_GITHUB_APP_ID 1001): JWT accepted")
    ok, text = lines[1]
    assert ok, text
    assert "acme: App installation 50001" in text
    assert "organization_copilot_seat_management: write" in text
    assert "token valid until 2026-03-02 10:00 UTC" in text
    assert all(ok for ok, _ in lines), lines


def test_a_wrong_key_is_refused_naming_what_to_check(
    sim: Simulator, app: App, clock: FakeClock, tmp_path: Path
):
    """A key of another App: GitHub refuses the JWT; the line names the App ID, key and clock."""
    other = sim.apps.add_app(2002, slug="other")
    settings = app_settings(sim, app, tmp_path, github_app_private_key=other.private_key_pem)
    lines = github_checks(settings, clock=clock)
    assert lines[0][0] is False
    assert "GitHub refused the App's JWT" in lines[0][1]
    assert "REAPER_GITHUB_APP_ID" in lines[0][1]
    assert "clock" in lines[0][1]
    assert not any(r.path.startswith("/orgs/acme/copilot") for r in sim.requests)


def test_a_skewed_clock_is_refused_naming_the_clock(
    sim: Simulator, app: App, clock: FakeClock, tmp_path: Path
):
    """A JWT dated 20 minutes ahead of GitHub's clock is refused; nothing else is sent."""
    ahead = lambda: clock.now + timedelta(minutes=20)  # noqa: E731
    with (
        github_client(app_settings(sim, app, tmp_path), clock=ahead) as client,
        pytest.raises(GitHubError, match="clock") as caught,
    ):
        client.org_billing("acme")
    assert "iat" in str(caught.value)
    assert [r.path for r in sim.requests] == ["/orgs/acme/installation"]


def test_an_org_without_the_app_fails_its_check_with_where_to_install(
    sim: Simulator, app: App, clock: FakeClock, tmp_path: Path
):
    """An org without the App fails its check line, named, with where to install the App."""
    sim.add_org("beta")
    settings = app_settings(sim, app, tmp_path, github_orgs=["acme", "beta"])
    lines = github_checks(settings, clock=clock)
    failed = [text for ok, text in lines if not ok]
    assert failed, lines
    assert "not installed on beta" in failed[0]
    assert "https://github.com/organizations/beta/settings/installations" in failed[0]
    assert not any(r.path.startswith("/orgs/beta/copilot") for r in sim.requests)


def test_an_installation_with_read_only_seats_names_the_missing_permission(
    sim: Simulator, clock: FakeClock, tmp_path: Path
):
    """Seat management granted read only: check fails naming it; the token asks read only."""
    registered = sim.apps.add_app(APP_ID)
    sim.apps.install(APP_ID, "acme", permissions={"organization_copilot_seat_management": "read"})
    lines = github_checks(app_settings(sim, registered, tmp_path), clock=clock)
    failed = [text for ok, text in lines if not ok]
    assert any("lacks organization_copilot_seat_management: write" in t for t in failed), lines
    mint = next(r for r in sim.requests if r.path.endswith("/access_tokens"))
    assert mint.json == {"permissions": {"organization_copilot_seat_management": "read"}}


def test_reclaiming_teams_also_needs_members_write(
    sim: Simulator, app: App, clock: FakeClock, tmp_path: Path
):
    """With REAPER_RECLAIM_TEAMS, members: read FAILs the team's check line, not the seats'."""
    sim.add_team("devs", org="acme")
    settings = app_settings(sim, app, tmp_path, reclaim_teams=["acme/devs"])
    assert all(ok for ok, _ in github_checks(settings, clock=clock))  # seats still cancellable
    with github_client(settings, clock=clock) as client:
        lines = team_lines(settings, client)
    assert any(not ok and "members: write" in text for ok, text in lines), lines


def test_enterprise_requests_use_the_classic_token_org_requests_the_app(
    sim: Simulator, app: App, clock: FakeClock, tmp_path: Path
):
    """Beside an App, REAPER_GITHUB_TOKEN authenticates the enterprise endpoints only."""
    sim.add_enterprise("octo")
    sim.add_seat("enterprise:octo", "bob")
    settings = app_settings(sim, app, tmp_path, github_token=GITHUB_TOKEN, github_enterprise="octo")
    with github_client(settings, clock=clock) as client:
        assert len(next(client.iter_seat_pages("enterprise:octo")).seats) == 1
        client.org_billing("acme")
    by_path = {r.path: r.headers["authorization"] for r in sim.requests}
    assert by_path["/enterprises/octo/copilot/billing/seats"] == f"Bearer {GITHUB_TOKEN}"
    assert by_path["/orgs/acme/copilot/billing"].startswith("Bearer ghs_")


def test_old_short_installation_tokens_work_too(
    sim: Simulator, app: App, clock: FakeClock, tmp_path: Path
):
    """An installation token in GitHub's old 40-character form is used the same way."""
    sim.apps.long_tokens = False
    with github_client(app_settings(sim, app, tmp_path), clock=clock) as client:
        client.org_billing("acme")
    header = next(r for r in sim.requests if r.path.endswith("/billing")).headers["authorization"]
    assert len(header.removeprefix("Bearer ")) == 40
