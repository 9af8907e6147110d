"""GitHub App rate limits: each installation's own bucket, and token mints in the act budget."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from reaper.app.wiring import github_client
from reaper.core.budget import SAFETY, TEAM_READS, Allowance, Due, team_cost, within
from reaper.errors import GitHubError
from reaper.github.app_auth import app_jwt
from tests.conftest import GITHUB_TOKEN
from tests.harness import DAY, Reaper
from tests.test_app_auth import APP_ID, app_settings

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from reaper.simulator import Simulator
    from reaper.simulator.app_objects import App
    from tests.conftest import FakeClock

JWT_REQUESTS_PER_CYCLE = 2  # GET /orgs/acme/installation, POST .../access_tokens


@pytest.fixture
def app(sim: Simulator) -> App:
    """An App installed on acme with seat management write."""
    registered = sim.apps.add_app(APP_ID)
    sim.apps.install(APP_ID, "acme")
    return registered


def app_reaper(sim: Simulator, clock: FakeClock, tmp_path: Path, app: App, **extra: Any) -> Reaper:
    overrides = {
        "github_token": None,
        "github_app_id": str(app.app_id),
        "github_app_private_key": app.private_key_pem,
        **extra,
    }
    return Reaper(sim, clock, tmp_path, overrides=overrides)


def idle(sim: Simulator, clock: FakeClock, scope: str, login: str, days: int = 45) -> None:
    sim.add_seat(
        scope, login, created_at=clock.now - 400 * DAY, last_activity_at=clock.now - days * DAY
    )


def cancelled(sim: Simulator) -> list[str]:
    return sorted(
        login
        for r in sim.requests
        if r.method == "DELETE" and r.json is not None
        for login in r.json["selected_usernames"]
    )


# -- the simulator's buckets ------------------------------------------------------------------


def test_an_installation_token_has_its_own_15000_bucket(
    sim: Simulator, app: App, clock: FakeClock
) -> None:
    """The simulator counts an installation's token apart from the classic token's 5,000."""
    base = sim.github_url.rstrip("/")
    headers = {"User-Agent": "t", "Accept": "application/vnd.github+json"}
    with httpx.Client(headers=headers) as http:
        jwt_auth = {"Authorization": f"Bearer {app_jwt(str(app.app_id), app.key, clock.now)}"}
        found = http.get(f"{base}/orgs/acme/installation", headers=jwt_auth).json()
        minted = http.post(
            f"{base}/app/installations/{found['id']}/access_tokens", headers=jwt_auth, json={}
        )
        token = minted.json()["token"]
        seats = f"{base}/orgs/acme/copilot/billing/seats"
        as_app = [http.get(seats, headers={"Authorization": f"Bearer {token}"}) for _ in range(3)]
        classic = http.get(seats, headers={"Authorization": f"Bearer {GITHUB_TOKEN}"})
    last = as_app[-1].headers
    assert (last["x-ratelimit-limit"], last["x-ratelimit-used"]) == ("15000", "3")
    assert last["x-ratelimit-remaining"] == "14997"
    assert last["x-ratelimit-resource"] == "core"
    assert (classic.headers["x-ratelimit-limit"], classic.headers["x-ratelimit-used"]) == (
        "5000",
        "1",
    )
    assert minted.headers["x-ratelimit-used"] == "2"  # the App's own (JWT) requests


def test_a_spent_installation_holds_only_its_own_org(
    sim: Simulator, app: App, clock: FakeClock, tmp_path: Path
) -> None:
    """Past an installation's limit: 403 for its token; the reaper waits for it, not the token."""
    sim.apps.installations[50001].rate_limit = 2
    sim.add_enterprise("octo")
    sim.add_seat("enterprise:octo", "bob")
    waits: list[float] = []
    settings = app_settings(
        sim,
        app,
        tmp_path,
        github_token=GITHUB_TOKEN,
        github_enterprise="octo",
        github_rate_limit_reserve=0,
    )
    with github_client(settings, clock=clock, sleep=waits.append) as client:
        client.org_billing("acme")
        client.org_billing("acme")
        token = client.auth.installation("acme").token  # type: ignore[attr-defined]
        assert len(next(client.iter_seat_pages("enterprise:octo")).seats) == 1
        assert waits == []  # the classic token's bucket is not the spent one
        with pytest.raises(GitHubError, match="rate-limit reserve reached"):
            client.org_billing("acme")
    with httpx.Client() as http:
        answer = http.get(
            f"{sim.github_url.rstrip('/')}/orgs/acme/copilot/billing",
            headers={"User-Agent": "t", "Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 403
    assert "rate limit" in answer.json()["message"]
    assert answer.headers["x-ratelimit-remaining"] == "0"


# -- the reaper reads each bucket from the headers --------------------------------------------


def test_the_limit_is_read_per_installation_from_the_headers(
    sim: Simulator, app: App, clock: FakeClock, tmp_path: Path
) -> None:
    """The client keeps each credential's limit as GitHub's headers say, not a constant."""
    sim.apps.installations[50001].rate_limit = 777
    sim.add_enterprise("octo")
    sim.add_seat("enterprise:octo", "bob")
    settings = app_settings(sim, app, tmp_path, github_token=GITHUB_TOKEN, github_enterprise="octo")
    with github_client(settings, clock=clock) as client:
        client.org_billing("acme")
        client.org_billing("acme")
        list(client.iter_seat_pages("enterprise:octo"))
        buckets = client.session.limits.buckets
        assert client.rate_limit_left("acme") == ("installation:acme", 775)
        assert client.rate_limit_left("enterprise:octo") == ("token", 4999)
    assert (buckets["installation:acme"].limit, buckets["installation:acme"].used) == (777, 2)
    assert buckets["token"].limit == 5000
    assert buckets["app"].used == JWT_REQUESTS_PER_CYCLE
    assert buckets["installation:acme"].resource == "core"


def test_requests_counted_include_the_token_mints(
    sim: Simulator, app: App, clock: FakeClock, tmp_path: Path
) -> None:
    """The requests counted per client (and so per cycle in the metrics) include every mint."""
    with github_client(app_settings(sim, app, tmp_path), clock=clock) as client:
        client.org_billing("acme")
        clock.advance(minutes=56)  # past the renewal point: a second mint
        client.org_billing("acme")
        counted = sum(client.responses_by_status.values())
    github = [r for r in sim.requests if not r.path.startswith("/slack/")]
    assert sim.apps.minted == 2
    assert counted == len(github) == 2 + 2 * JWT_REQUESTS_PER_CYCLE


# -- the act step's budget ---------------------------------------------------------------------


CLASSIC_LIMIT, CLASSIC_RESERVE = 36, 25  # the classic token: the enterprise's reads nearly spend it


@contextmanager
def app_beside_a_classic_token(
    clock: FakeClock, tmp_path: Path, permissions: dict[str, str] | None = None, **extra: Any
) -> Iterator[tuple[Simulator, Reaper]]:
    """Org acme on an App installation, enterprise octo (one person) on a nearly spent token."""
    from reaper.simulator import Simulator  # noqa: PLC0415

    with Simulator(token=GITHUB_TOKEN, clock=clock, rate_limit=CLASSIC_LIMIT) as sim:
        sim.add_org("acme")
        registered = sim.apps.add_app(APP_ID)
        sim.apps.install(APP_ID, "acme", permissions=permissions)
        sim.add_enterprise("octo")
        idle(sim, clock, "enterprise:octo", "bob", days=1)
        yield (
            sim,
            app_reaper(
                sim,
                clock,
                tmp_path,
                registered,
                github_token=GITHUB_TOKEN,
                github_enterprise="octo",
                github_rate_limit_reserve=CLASSIC_RESERVE,
                **extra,
            ),
        )


def test_a_cycle_with_an_app_acts_on_the_installations_budget(
    clock: FakeClock, tmp_path: Path
) -> None:
    """A near-spent classic token (enterprise reads) does not hold back the org's cancels."""
    with app_beside_a_classic_token(clock, tmp_path) as (sim, reaper):
        for n in range(6):
            idle(sim, clock, "acme", f"idle{n}")
        assert reaper.run().ok
        clock.advance(days=8)
        outcome = reaper.run()
        classic = sim.apps.rate_buckets.used("token")
    assert not outcome.report.failed, outcome.report
    assert CLASSIC_LIMIT - classic - CLASSIC_RESERVE < SAFETY  # it could not pay for the act
    assert cancelled(sim) == [f"idle{n}" for n in range(6)]
    assert "left for the next cycle" not in str(outcome.report.orgs)


@pytest.mark.parametrize(("app_limit", "acts"), [(13, False), (14, True)])
def test_token_mints_count_in_the_act_budget(
    clock: FakeClock, tmp_path: Path, app_limit: int, acts: bool
) -> None:
    """The act needs a renewed token; with the App's own requests short, the due persons wait."""
    from reaper.simulator import Simulator  # noqa: PLC0415

    with Simulator(token=GITHUB_TOKEN, clock=clock) as sim:
        sim.add_org("acme")
        registered = sim.apps.add_app(APP_ID)
        sim.apps.install(APP_ID, "acme")
        sim.apps.app_rate_limit = app_limit
        for n in range(3):
            idle(sim, clock, "acme", f"idle{n}")
        reaper = app_reaper(sim, clock, tmp_path, registered, github_rate_limit_reserve=0)
        assert reaper.run().ok
        clock.advance(days=8)
        outcome = reaper.run()
        used = sim.apps.rate_buckets.used("app")
    # after the scan, the App has app_limit - 2 left; the act's renewal needs 2 more
    # (the token expires within the hour), and SAFETY requests stay in hand
    assert used == JWT_REQUESTS_PER_CYCLE  # this window: the scan's mint only
    assert (app_limit - JWT_REQUESTS_PER_CYCLE - SAFETY >= JWT_REQUESTS_PER_CYCLE) is acts
    if acts:
        assert cancelled(sim) == ["idle0", "idle1", "idle2"]
    else:
        assert cancelled(sim) == []
        assert "left for the next cycle" in str(outcome.report.orgs[0].errors)


def test_the_budget_charges_each_scopes_mints_once_in_their_bucket() -> None:
    """Pure budget: per-bucket spending, a scope's token renewal charged once before its first."""
    due = [Due(f"u{n}", ("acme",), ("acme",)) for n in range(5)]
    pages = {"acme": 1}
    roomy = Allowance(
        {"installation:acme": 1000, "app": 10 + SAFETY}, {"acme": "installation:acme"}
    )
    assert within(due, pages, roomy) == 5
    mints = {"acme": ("app", 2)}
    tight_app = Allowance({"installation:acme": 1000, "app": 1 + SAFETY}, roomy.bucket, mints)
    assert within(due, pages, tight_app) == 0
    enough = Allowance({"installation:acme": 1000, "app": 2 + SAFETY}, roomy.bucket, mints)
    assert within(due, pages, enough) == 5
    # acme's reads and cancel chunk: 1 read (one page) + 1 chunk = 2 in its bucket
    tight_org = Allowance({"installation:acme": 2 + SAFETY}, roomy.bucket, mints)
    assert within(due, pages, tight_org) == 5
    assert within(due, pages, Allowance({"installation:acme": 1 + SAFETY}, roomy.bucket)) == 0
    assert within(due, pages, 2 + SAFETY) == 5  # one bucket, as with a classic token


def test_team_removals_are_charged_to_their_scopes_bucket() -> None:
    """Pure budget: a team's reads and removals draw on its org's bucket, not another one's."""
    due = [Due(f"u{n}", ("acme",), (), (("acme/copilot-users", "acme"),)) for n in range(3)]
    pages = {"acme": 1}
    need = 1 + team_cost("acme/copilot-users", 3, 1)  # the list's one page, then the team's
    roomy = Allowance(
        {"installation:acme": need + SAFETY, "": SAFETY}, {"acme": "installation:acme"}
    )
    assert within(due, pages, roomy) == 3  # the classic token's empty bucket is not asked
    tight = Allowance({"installation:acme": need - 1 + SAFETY, "": 1000}, roomy.bucket)
    assert within(due, pages, tight) == 2
    assert within(due, pages, need + SAFETY) == 3  # one bucket, as with a classic token
    assert within(due, pages, need - 1 + SAFETY) == 2


def test_a_big_teams_membership_reads_are_priced_at_one_a_person() -> None:
    """30 persons of a 5,000-member team: the cycle reads 30 memberships, the budget counts 30."""
    reads, removals, confirms = 30, 30, 1  # the confirming re-read: the list's one page
    assert team_cost("acme/everyone", 30, 1) == TEAM_READS + reads + removals + confirms


def test_a_cycle_with_an_app_removes_team_members_on_the_installations_budget(
    clock: FakeClock, tmp_path: Path
) -> None:
    """A near-spent classic token (enterprise reads) does not hold back the org's team removals."""
    writes = {"organization_copilot_seat_management": "write", "members": "write"}
    teams = {"reclaim_teams": ["acme/copilot-users"], "usage_report": "off"}
    with app_beside_a_classic_token(clock, tmp_path, writes, **teams) as (sim, reaper):
        team = sim.add_team("copilot-users", org="acme")
        for n in range(4):
            team.add_member(f"idle{n}")
            sim.add_seat(
                "acme",
                f"idle{n}",
                team="copilot-users",
                created_at=clock.now - 400 * DAY,
                last_activity_at=clock.now - 45 * DAY,
            )
        assert reaper.run().ok
        clock.advance(days=8)
        outcome = reaper.run()
        classic = sim.apps.rate_buckets.used("token")
        removed = sorted(
            r.path.rsplit("/", 1)[-1]
            for r in sim.requests
            if r.method == "DELETE" and "/memberships/" in r.path
        )
    assert CLASSIC_LIMIT - classic - CLASSIC_RESERVE < SAFETY  # it could not pay for them
    assert removed == [f"idle{n}" for n in range(4)]
    assert "left for the next cycle" not in str(outcome.report.orgs)
