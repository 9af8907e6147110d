"""A GitHub App's bad inputs in a live cycle: refused JWT, missing installation, permissions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reaper.app.checks import github_checks
from reaper.app.teams import team_lines
from reaper.app.wiring import github_client
from reaper.config.settings import Settings
from tests.harness import DAY, Reaper

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.simulator import Simulator
    from reaper.simulator.app_objects import App
    from tests.conftest import FakeClock

APP_ID = 1001


def app_reaper(sim: Simulator, clock: FakeClock, tmp_path: Path, app: App, **extra: Any) -> Reaper:
    overrides = {
        "github_token": None,
        "github_app_id": str(app.app_id),
        "github_app_private_key": app.private_key_pem,
        **extra,
    }
    return Reaper(sim, clock, tmp_path, overrides=overrides)


def idle(sim: Simulator, clock: FakeClock, org: str, login: str) -> None:
    sim.add_seat(
        org, login, created_at=clock.now - 400 * DAY, last_activity_at=clock.now - 45 * DAY
    )


def cancels(sim: Simulator) -> list[str]:
    return [r.path for r in sim.requests if r.method == "DELETE"]


def test_an_org_without_the_app_fails_preflight_and_the_other_goes_on(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """In a cycle, the org without the App fails, named with where to install; acme goes on."""
    app = sim.apps.add_app(APP_ID)
    sim.apps.install(APP_ID, "acme")
    sim.add_org("beta")
    idle(sim, clock, "acme", "alice")
    idle(sim, clock, "beta", "bob")
    reaper = app_reaper(sim, clock, tmp_path, app, github_orgs=["acme", "beta"])
    outcome = reaper.run()
    assert [o.org for o in outcome.report.orgs if o.failed] == ["beta"]
    beta = next(o for o in outcome.report.orgs if o.org == "beta")
    said = str(beta.errors)
    assert "not installed on beta" in said
    assert "https://github.com/organizations/beta/settings/installations" in said
    assert set(reaper.flags()) == {("acme", "alice")}
    assert not any(r.path.startswith("/orgs/beta/copilot") for r in sim.requests)


def test_an_installation_without_seat_write_cancels_nothing(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """Seats granted read only: the org is read and flagged, no cancel is sent, the report says."""
    app = sim.apps.add_app(APP_ID)
    sim.apps.install(APP_ID, "acme", permissions={"organization_copilot_seat_management": "read"})
    idle(sim, clock, "acme", "alice")
    reaper = app_reaper(sim, clock, tmp_path, app)
    assert reaper.run().ok
    clock.advance(days=8)
    outcome = reaper.run()
    assert cancels(sim) == []
    assert ("acme", "alice") in reaper.flags()
    said = str(outcome.report.orgs[0].errors) + str(outcome.report.orgs[0])
    assert "organization_copilot_seat_management: write" in said


def test_reclaiming_teams_with_members_read_refuses_only_the_team_removals(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """members: read only: the team's removals are refused naming members: write; bob's goes."""
    app = sim.apps.add_app(APP_ID)
    sim.apps.install(APP_ID, "acme")  # seats write, members read
    sim.add_team("devs", org="acme").add_member("alice")
    sim.add_seat(
        "acme",
        "alice",
        team="devs",
        created_at=clock.now - 400 * DAY,
        last_activity_at=clock.now - 45 * DAY,
    )
    idle(sim, clock, "acme", "bob")
    reaper = app_reaper(sim, clock, tmp_path, app, reclaim_teams=["acme/devs"])
    assert reaper.run().ok
    clock.advance(days=8)
    outcome = reaper.run()
    assert outcome.ok, outcome.report.orgs[0].errors
    assert [e.login for e in outcome.report.entries("cancelled")] == ["bob"]
    assert [r for r in cancels(sim) if "/teams/" in r] == []
    assert len(cancels(sim)) == 1
    (held,) = outcome.report.entries("needs_person")
    assert held.login == "alice"
    assert "members: write" in held.reason
    assert "https://github.com/organizations/acme/settings/installations" in held.reason
    assert (sim.seat("acme", "bob") or {})["pending_cancellation_date"] is not None


def test_an_installation_without_members_at_all_still_cancels_direct_seats(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """No members permission at all: the token is minted for seats, bob's seat is cancelled."""
    app = sim.apps.add_app(APP_ID)
    sim.apps.install(APP_ID, "acme", permissions={"organization_copilot_seat_management": "write"})
    sim.add_team("devs", org="acme")
    idle(sim, clock, "acme", "bob")
    reaper = app_reaper(sim, clock, tmp_path, app, reclaim_teams=["acme/devs"])
    assert reaper.run().ok
    clock.advance(days=8)
    outcome = reaper.run()
    assert outcome.ok, outcome.report.orgs[0].errors
    assert [e.login for e in outcome.report.entries("cancelled")] == ["bob"]


def test_reaper_check_names_members_write_on_the_team_line(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """In reaper check the installation line passes for seats; the team line FAILs on members."""
    app = sim.apps.add_app(APP_ID)
    sim.apps.install(APP_ID, "acme")  # seats write, members read
    sim.add_team("devs", org="acme")
    reaper = app_reaper(sim, clock, tmp_path, app, reclaim_teams=["acme/devs"])
    settings = reaper.settings()
    with github_client(settings, clock=clock) as client:
        lines = github_checks(settings, clock=clock) + team_lines(settings, client)
    failed = [text for ok, text in lines if ok is False]
    assert len(failed) == 1
    assert failed[0].startswith("team acme/devs:")
    assert "members: write" in failed[0]
    assert "nobody is removed from its teams" in failed[0]


def test_an_unknown_app_id_is_refused_naming_the_app_id(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A JWT whose iss is no App: the check names REAPER_GITHUB_APP_ID; no seat is read."""
    app = sim.apps.add_app(APP_ID)
    sim.apps.install(APP_ID, "acme")
    settings = Settings(
        github_app_id="999999",
        github_app_private_key=app.private_key_pem,
        github_api_url=sim.github_url,
        github_orgs=["acme"],
        state_url=f"sqlite:///{tmp_path / 'state.db'}",
    )
    lines = github_checks(settings, clock=clock)
    ok, text = lines[0]
    assert not ok
    assert "GitHub refused the App's JWT" in text
    assert "REAPER_GITHUB_APP_ID" in text
    assert "Issuer" in text  # GitHub's own reason, passed on
    assert not any(r.path.startswith("/orgs/acme/copilot") for r in sim.requests)


def test_a_refused_jwt_fails_the_cycle_without_acting(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A live cycle whose JWT GitHub refuses reads no seat, flags nobody and says what to check."""
    app = sim.apps.add_app(APP_ID)
    other = sim.apps.add_app(2002, slug="other")
    sim.apps.install(APP_ID, "acme")
    idle(sim, clock, "acme", "alice")
    reaper = app_reaper(sim, clock, tmp_path, app, github_app_private_key=other.private_key_pem)
    outcome = reaper.run()
    assert not outcome.ok
    said = str(outcome.report.orgs[0].errors)
    assert "REAPER_GITHUB_APP_ID" in said
    assert "clock" in said
    assert reaper.flags() == {}
    assert not any(r.path.startswith("/orgs/acme/copilot") for r in sim.requests)
