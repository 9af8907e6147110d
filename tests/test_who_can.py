"""Where no one can reclaim, the report says who can: idle people grouped by the team holding them.

Real cycles against the simulator (its teams answer GitHub's team endpoints) and a SQLite
file; the people are flagged and warned, then due a week later, when they need a person.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

import pytest
from structlog.testing import capture_logs

from reaper.app import wiring
from reaper.cycle.who_can import WhoCan
from reaper.report.who_can import TITLE
from reaper.simulator import Fault
from reaper.store import SqlStore
from tests.harness import Reaper, idle_seat
from tests.test_cli import env_for, run

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.cycle.orchestrator import CycleOutcome
    from reaper.simulator import Simulator
    from tests.conftest import FakeClock

ENGINEERING = {"group_id": "111a", "group_name": "Engineering", "group_description": "all"}
NAMELESS = {"group_id": "9f3c", "group_description": ""}
NAMED = ["acme/platform", "acme/leads", "acme/by-id", "acme/learnt", "acme/fine"]


def team_seats(sim: Simulator, clock: FakeClock, slug: str, *logins: str, **team: Any) -> None:
    """A team of ``logins``, each idle 45 days with a seat granted through it."""
    made = sim.add_team(slug, org="acme", **team)
    for login in logins:
        made.add_member(login)
        idle_seat(sim, clock, login, team=slug)


@pytest.fixture
def reaper(sim: Simulator, clock: FakeClock, tmp_path: Path) -> Reaper:
    """Teams of every kind, each holding idle people; five of them named."""
    team_seats(sim, clock, "eng-all", "eve", "eli", "ema", sync_groups=[ENGINEERING])
    team_seats(sim, clock, "by-id", "ida", sync_groups=[NAMELESS])
    team_seats(sim, clock, "platform", "pia", "pat", repos=["api", "web", "docs"])
    leads = sim.add_team("leads", org="acme", children=["leads-core"])
    leads.add_member("lou", role="maintainer")
    leads.add_member("nia")
    sim.add_team("leads-core", org="acme").add_member("mo")  # in leads through its child team
    for login in ("lou", "nia", "mo"):
        idle_seat(sim, clock, login, team="leads")
    team_seats(sim, clock, "misc", "nat")
    team_seats(sim, clock, "learnt", "lea")
    team_seats(sim, clock, "fine", "fay")
    runner = Reaper(sim, clock, tmp_path)
    runner.overrides = {"reclaim_teams": NAMED}
    return runner


def due(reaper: Reaper, clock: FakeClock) -> CycleOutcome:
    """Flag and warn everyone, then run again once the grace period is over."""
    assert reaper.run().ok
    store = SqlStore(reaper.state_url)
    try:
        store.teams.learn_idp_managed("acme/learnt", clock.now)
    finally:
        store.close()
    clock.advance(days=8)
    outcome = reaper.run()
    assert outcome.ok
    return outcome


def test_the_report_groups_who_needs_a_person_by_the_team_and_the_reason(
    sim: Simulator, reaper: Reaper, clock: FakeClock
) -> None:
    """IdP group by name or id, repositories, maintainer, child team, learnt, not named."""
    outcome = due(reaper, clock)
    # nia (leads) and fay (fine) may be removed from their named teams: a live cycle does so
    assert outcome.report.totals.needs_person == 10
    removed = {e.login: e.reason for e in outcome.report.entries("cancelled")}
    assert set(removed) == {"nia", "fay"}
    assert "removed from team acme/leads" in removed["nia"]
    assert "removed from team acme/fine" in removed["fay"]
    text = str(sim.slack_messages[-1])
    assert TITLE in text
    for line in (
        (
            "team acme/eng-all, kept in sync with IdP group 'Engineering': 3 idle people, "
            "USD 57 a month: remove them in the identity provider"
        ),
        "team acme/by-id, kept in sync with IdP group '9f3c': 1 idle person, USD 19 a month",
        (
            "team acme/platform grants 3 repositories: 2 idle people, USD 38 a month: "
            "removing them would also take that access"
        ),
        (
            "team acme/leads: 1 maintainer, USD 19 a month: remove them by hand, "
            "or set REAPER_RECLAIM_TEAM_MAINTAINERS=true"
        ),
        (
            "team acme/leads, through child team leads-core: 1 idle person, USD 19 a month: "
            "remove them there"
        ),
        "team acme/learnt, kept in sync with an identity provider: 1 idle person",
        (
            "team acme/misc is not in REAPER_RECLAIM_TEAMS: 1 idle person, USD 19 a month: "
            "name it there to let the reaper remove them"
        ),
    ):
        assert line in text, line
    holds = {e.login: e.holds for e in outcome.report.entries("needs_person")}
    assert [(h.team, h.code, h.child) for h in holds["mo"]] == [
        ("acme/leads", "child_team", "leads-core")
    ]
    assert set(holds) == {"eve", "eli", "ema", "ida", "pia", "pat", "lou", "mo", "nat", "lea"}


def test_each_team_is_read_once_a_cycle_and_only_teams_holding_idle_people(
    sim: Simulator, reaper: Reaper, clock: FakeClock
) -> None:
    """One team read per team holding someone who needs a person; none for an idle-free team."""
    sim.add_team("empty", org="acme", repos=["x"])
    due(reaper, clock)
    reads = [r.path for r in sim.requests if r.method == "GET" and r.path.count("/") == 4]
    teams = [p for p in reads if p.startswith("/orgs/acme/teams/")]
    assert sorted(teams) == sorted(set(teams))
    assert "/orgs/acme/teams/empty" not in teams
    assert "/orgs/acme/teams/eng-all" in teams


def test_reaper_report_csv_and_json_carry_each_persons_team_and_reason(
    sim: Simulator, reaper: Reaper, clock: FakeClock, tmp_path: Path
) -> None:
    """`reaper report` (the real CLI) gives per person the team, the code and the words."""
    due(reaper, clock)
    # `reaper report` runs a dry cycle later than the test's clock: everyone idle is due then,
    # and the named teams' people count as cancels; the blast-radius limit is not the point here
    env = env_for(sim, tmp_path, RECLAIM_TEAMS=",".join(NAMED), MAX_CANCELLATION_PERCENT="100")
    env["REAPER_STATE_URL"] = reaper.state_url

    table = run(["report", "--format", "table"], env)
    assert table.returncode == 0, table.stderr
    assert f"{TITLE} (" in table.stdout
    assert "team acme/eng-all, kept in sync with IdP group 'Engineering': 3 idle people" in (
        table.stdout
    )

    rows = list(csv.DictReader(io.StringIO(run(["report", "--format", "csv"], env).stdout)))
    by_login = {r["login"]: r for r in rows if r["list"] == "needs_person"}
    assert (by_login["eve"]["held_by"], by_login["eve"]["hold_code"]) == (
        "acme/eng-all",
        "idp_synced",
    )
    assert "IdP group 'Engineering'" in by_login["eve"]["hold_reason"]
    assert by_login["nat"]["hold_code"] == "not_named"
    # a dry run reads the named teams as a live run would: a maintainer is refused there too
    assert (by_login["lou"]["held_by"], by_login["lou"]["hold_code"]) == (
        "acme/leads",
        "maintainer",
    )
    assert "would remove" not in by_login["lou"]["reason"]

    data = json.loads(run(["report", "--format", "json"], env).stdout)
    [acme] = data["orgs"]
    holds = {e["login"]: e["holds"] for e in acme["needs_person"]}
    assert holds["eve"] == [
        {
            "team": "acme/eng-all",
            "code": "idp_synced",
            "reason": holds["eve"][0]["reason"],
            "idp_groups": ["Engineering"],
            "repositories": None,
            "child_team": None,
        }
    ]
    assert [h["code"] for h in holds["nat"]] == ["not_named"]
    eng = next(g for g in data["who_can"] if g["team"] == "acme/eng-all")
    assert (eng["people"], eng["per_month_usd"], eng["code"]) == (3, 57.0, "idp_synced")


def test_enterprise_teams_are_grouped_by_their_idp_group_id_at_enterprise_prices(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """An enterprise team with a group_id and no name is named by the id, priced as Enterprise."""
    sim.add_enterprise("big")
    sim.add_team("all-devs", enterprise="big", group_id="62ab")
    sim.add_team("core", enterprise="big").add_member("cy")
    for login, team in (("dev1", "all-devs"), ("dev2", "all-devs"), ("dev3", "all-devs")):
        idle_seat_in(sim, clock, "enterprise:big", login, team)
    idle_seat_in(sim, clock, "enterprise:big", "cy", "core")
    reaper = Reaper(
        sim,
        clock,
        tmp_path,
        overrides={"github_orgs": [], "github_enterprise": "big", "reclaim_teams": ["ent:core"]},
    )
    outcome = due(reaper, clock)
    text = str(sim.slack_messages[-1])
    assert (
        "enterprise team ent:all-devs, kept in sync with IdP group '62ab': 3 idle people, "
        "USD 117 a month: remove them in the identity provider"
    ) in text
    (removed,) = outcome.report.entries("cancelled")  # ent:core is named and may be written to
    assert (removed.login, "removed from team ent:core" in removed.reason) == ("cy", True)
    reads = [r.path for r in sim.requests if r.method == "GET" and "/teams/" in r.path]
    assert reads.count("/enterprises/big/teams/all-devs") == 1
    assert reads.count("/enterprises/big/teams/core") == 1
    assert outcome.report.totals.needs_person == 3


def idle_seat_in(sim: Simulator, clock: FakeClock, scope: str, login: str, team: str) -> None:
    sim.add_seat(
        scope,
        login,
        team=team,
        created_at=clock.now - timedelta(days=400),
        last_activity_at=clock.now - timedelta(days=45),
    )


def test_a_failing_or_lying_team_read_is_reported_and_never_fails_the_cycle(
    sim: Simulator, reaper: Reaper, clock: FakeClock
) -> None:
    """A 500 on a named team's read, a team-sync answer without a list: said per team; cycle ok."""
    sim.inject(Fault(path="/orgs/acme/teams/platform$", method="GET", status=500, times=50))
    sim.inject(
        Fault(
            path="/orgs/acme/teams/fine/team-sync/group-mappings$",
            method="GET",
            status=200,
            body={"groups": "everyone"},
            times=50,
        )
    )
    outcome = due(reaper, clock)
    assert not outcome.report.failed
    holds = {e.login: e.holds for e in outcome.report.entries("needs_person")}
    assert [h.code for h in holds["pia"]] == ["team_unreadable"]
    assert [h.code for h in holds["fay"]] == ["idp_unknown"]
    text = str(sim.slack_messages[-1])
    assert "team acme/platform could not be read" in text
    assert "team acme/eng-all, kept in sync with IdP group 'Engineering'" in text
    written = [r.path for r in sim.requests if r.method in {"PUT", "DELETE", "POST"}]
    assert [p for p in written if "/teams/" in p] == ["/orgs/acme/teams/leads/memberships/nia"]


def test_past_the_read_budget_teams_are_reported_as_not_read(
    sim: Simulator, reaper: Reaper, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Room for 1 team a cycle: what the removals read is reused, one more read, the rest not."""
    monkeypatch.setattr(wiring, "WhoCan", partial(WhoCan, max_teams=1, max_memberships=1))
    outcome = due(reaper, clock)
    team_reads = {
        r.path
        for r in sim.requests
        if r.method == "GET" and r.path.count("/") == 4 and r.path.startswith("/orgs/acme/teams/")
    }
    # the removal step read the five named teams; who-can adds one (eng-all or misc), not two
    named = {f"/orgs/{ref}".replace("acme/", "acme/teams/") for ref in NAMED}
    assert named <= team_reads
    assert len(team_reads - named) == 1
    holds = {e.login: [h.code for h in e.holds] for e in outcome.report.entries("needs_person")}
    assert holds["lou"] == ["maintainer"]  # learnt by the removal step, not read again
    assert holds["pia"] == ["grants_repositories"]
    assert holds["eve"] == ["idp_synced"]  # eng-all: the one team who-can reads itself
    assert "/orgs/acme/teams/misc" not in team_reads  # past the budget: not read
    assert holds["nat"] == ["not_named"]  # what is known of misc without reading it
    assert len(holds) == 10


def test_the_logged_report_prices_who_can_at_the_configured_price(
    reaper: Reaper, clock: FakeClock
) -> None:
    """No Slack: the report goes to the log, its who-can groups at REAPER_PRICE_BUSINESS."""
    reaper.overrides |= {"slack_webhook_url": None, "price_business": 25.0}
    with capture_logs() as logs:
        due(reaper, clock)
    [logged] = [e["report"] for e in logs if e["event"] == "report.logged"][-1:]
    assert TITLE in logged
    assert "kept in sync with IdP group 'Engineering': 3 idle people, USD 75 a month" in logged
