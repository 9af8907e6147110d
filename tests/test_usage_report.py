"""REAPER_USAGE_REPORT: a second opinion from the usage report, real cycles on the simulator."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from structlog.testing import capture_logs

from reaper.metrics import Metrics
from reaper.report.text import render_text
from reaper.simulator import Fault
from reaper.store import SqlStore
from tests.deploy.test_service_http import metric
from tests.harness import DAY, Reaper, active_seat, idle_seat
from tests.test_app_auth import APP_ID
from tests.test_app_auth_budget import app_reaper

if TYPE_CHECKING:
    from pathlib import Path

    from reaper.cycle.orchestrator import CycleOutcome
    from reaper.simulator import Simulator
    from tests.conftest import FakeClock

REPORT = "/orgs/acme/copilot/metrics/reports/users-28-day/latest"


@pytest.fixture
def reaper(sim: Simulator, clock: FakeClock, tmp_path: Path) -> Reaper:
    """A live reaper with idle-ida flagged and warned 8 days ago: due now."""
    idle_seat(sim, clock, "idle-ida")
    reaper = Reaper(sim, clock, tmp_path)
    reaper.run()
    clock.advance(days=8)
    sim.reset_records()
    return reaper


def text(outcome: CycleOutcome) -> str:
    """The cycle's report as text."""
    return render_text(outcome.report)


def downloads(sim: Simulator) -> list[dict[str, str]]:
    """The headers of every usage report file download."""
    return [r.headers for r in sim.requests if r.path.startswith("/usage-files/")]


def test_a_person_the_report_shows_active_is_kept_and_their_flag_dropped(
    sim: Simulator, clock: FakeClock, reaper: Reaper
) -> None:
    """Due, but active in the usage report after the seat record's last use: not cancelled."""
    used = clock.now.date() - 3 * DAY
    sim.usage.add("acme", "idle-ida", used)
    outcome = reaper.run()
    assert reaper.cancel_requests() == []
    assert reaper.flags() == {}
    said = text(outcome)
    seat_day = (clock.now - 53 * DAY).date().isoformat()
    assert f"records disagree: idle-ida, the seat record's last use is {seat_day}" in said
    assert f"the usage report shows use on {used.isoformat()}" in said
    assert outcome.report.totals.reactivated == 1
    assert ("seat.reactivated", "idle-ida") in reaper.audit()


def test_a_person_the_report_saw_is_not_warned_again_while_their_record_lags(
    sim: Simulator, clock: FakeClock, reaper: Reaper
) -> None:
    """Kept by the report: exempt until that day plus REAPER_INACTIVE_DAYS, then judged again."""
    used = clock.now.date() - 3 * DAY
    sim.usage.add("acme", "idle-ida", used)
    reaper.run()
    clock.advance(days=1)  # the seat record still says 53 days idle
    outcome = reaper.run()
    assert reaper.flags() == {}
    assert outcome.report.totals.exempt == 1
    assert outcome.report.totals.newly_flagged == 0
    store = SqlStore(reaper.state_url)
    try:
        kept = store.exemptions(clock.now)["idle-ida"]
    finally:
        store.close()
    assert kept.reason == f"the usage report shows use on {used.isoformat()}"
    assert kept.until.date() == used + 30 * DAY
    clock.advance(days=reaper.settings().inactive_days)  # past that day + the idle threshold
    outcome = reaper.run()
    assert ("acme", "idle-ida") in reaper.flags()
    assert outcome.report.totals.newly_flagged == 1


def test_a_dry_run_remembers_no_usage_report_exemption(
    sim: Simulator, clock: FakeClock, reaper: Reaper
) -> None:
    """A dry run that sees the report keeps nothing: the next live cycle reads it again."""
    sim.usage.add("acme", "idle-ida", clock.now.date() - 3 * DAY)
    reaper.overrides["dry_run"] = True
    reaper.run()
    reaper.overrides["dry_run"] = False
    sim.reset_records()
    outcome = reaper.run()
    assert reaper.cancel_requests() == []
    assert any(r.path == REPORT for r in sim.requests)
    assert outcome.report.totals.reactivated == 1


def test_use_in_the_report_older_than_the_idle_threshold_keeps_nobody(
    sim: Simulator, clock: FakeClock, reaper: Reaper
) -> None:
    """REAPER_INACTIVE_DAYS=14, use 20 days ago: idle by the report too, so cancelled, not kept."""
    reaper.overrides["inactive_days"] = 14
    sim.usage.add("acme", "idle-ida", clock.now.date() - 20 * DAY)  # after the seat's 53 days
    outcome = reaper.run()
    assert reaper.cancel_requests() == [["idle-ida"]]
    assert "records disagree" not in text(outcome)
    assert outcome.report.totals.reactivated == 0


def test_activity_in_the_report_before_the_flag_changes_nothing(
    sim: Simulator, clock: FakeClock, reaper: Reaper
) -> None:
    """A report day no later than the seat record's last use is no second opinion: cancelled."""
    sim.usage.add("acme", "idle-ida", (clock.now - 60 * DAY).date())  # outside the window
    sim.usage.add(
        "acme", "idle-ida", clock.now.date() - 20 * DAY, user_initiated_interaction_count=0
    )
    outcome = reaper.run()
    assert reaper.cancel_requests() == [["idle-ida"]]
    assert "records disagree" not in text(outcome)


@pytest.mark.parametrize(
    "use",
    [
        {"code_generation_activity_count": 2},
        {"used_chat": True},
        {"used_agent": True},
        {"used_cli": True},
        {"used_copilot_code_review_active": True},
    ],
)
def test_every_kind_of_use_counts(
    sim: Simulator, clock: FakeClock, reaper: Reaper, use: dict[str, object]
) -> None:
    """Code generation, chat, agent, CLI and code review each count as use."""
    sim.usage.add("acme", "idle-ida", clock.now.date() - 4 * DAY, **use)
    reaper.run()
    assert reaper.cancel_requests() == []


def test_no_token_or_custom_header_goes_to_a_download_link(
    sim: Simulator, clock: FakeClock, reaper: Reaper
) -> None:
    """The signed links are fetched without the GitHub token or any GitHub header."""
    sim.usage.add("acme", "idle-ida", clock.now.date() - 3 * DAY)
    reaper.run()
    seen = downloads(sim)
    assert seen
    for headers in seen:
        assert "authorization" not in headers
        assert not any(name.startswith("x-github") for name in headers)


def test_a_dry_run_reads_the_report_too(sim: Simulator, clock: FakeClock, reaper: Reaper) -> None:
    """A dry run reads the same report and says who the records disagree about."""
    sim.usage.add("acme", "idle-ida", clock.now.date() - 3 * DAY)
    reaper.overrides["dry_run"] = True
    outcome = reaper.run()
    assert "records disagree: idle-ida" in text(outcome)
    assert ("acme", "idle-ida") in reaper.flags()  # a dry run writes nothing


def test_off_reads_no_report(sim: Simulator, clock: FakeClock, reaper: Reaper) -> None:
    """REAPER_USAGE_REPORT=off: no report is asked for, the seat record alone decides."""
    sim.usage.add("acme", "idle-ida", clock.now.date() - 3 * DAY)
    reaper.overrides["usage_report"] = "off"
    reaper.run()
    assert reaper.cancel_requests() == [["idle-ida"]]
    assert not [r for r in sim.requests if r.path == REPORT]


def test_no_report_is_read_without_due_persons(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """A cycle with nobody due asks for no usage report."""
    active_seat(sim, clock, "ann")
    Reaper(sim, clock, tmp_path).run()
    assert not [r for r in sim.requests if "metrics/reports" in r.path]


CASES = ["policy_off", "no_report", "empty", "expired", "link_forbidden", "bad_lines"]


@pytest.mark.parametrize("case", CASES)
def test_an_unavailable_report_with_check_lets_the_cycle_go_on(
    sim: Simulator, reaper: Reaper, case: str
) -> None:
    """check: an unreadable report is one report line, and the cancel goes ahead."""
    sim.usage.set_case("acme", case)
    with capture_logs() as logs:
        outcome = reaper.run()
    assert reaper.cancel_requests() == [["idle-ida"]]
    lines = [n for n in outcome.report.orgs[0].notes if n.startswith("usage report of acme")]
    assert len(lines) == 1
    assert "goes on without the second opinion" in lines[0]
    said = [e for e in logs if e["event"] == "usage_report.unavailable"]
    assert [(e["scope"], e["mode"]) for e in said] == [("acme", "check")]


@pytest.mark.parametrize("case", CASES)
def test_an_unavailable_report_with_require_holds_the_scope_s_cancels(
    sim: Simulator, reaper: Reaper, case: str
) -> None:
    """require: an unreadable report holds every cancel of the scope; the flag is kept."""
    sim.usage.set_case("acme", case)
    reaper.overrides["usage_report"] = "require"
    outcome = reaper.run()
    assert reaper.cancel_requests() == []
    assert ("acme", "idle-ida") in reaper.flags()
    lines = [n for n in outcome.report.orgs[0].notes if n.startswith("usage report of acme")]
    assert len(lines) == 1
    assert "REAPER_USAGE_REPORT=require, so 1 cancel there held for this cycle" in lines[0]
    assert outcome.report.totals.cancelled == 0
    assert "sig=" not in text(outcome)  # a signed link is never quoted


@pytest.mark.parametrize("mode", ["check", "require"])
def test_a_hung_download_honours_the_github_timeout(
    sim: Simulator, reaper: Reaper, mode: str
) -> None:
    """A report file that never quite ends is given up after the GitHub timeout."""
    sim.inject(Fault(path=r"^/usage-files/", status=200, body=b"{" * 400, drip_seconds=0.01))
    reaper.overrides |= {"usage_report": mode, "github_timeout_seconds": 1}
    outcome = reaper.run()
    assert reaper.cancel_requests() == ([["idle-ida"]] if mode == "check" else [])
    notes = outcome.report.orgs[0].notes
    assert any(n.startswith("usage report of acme not fully read") for n in notes)


def test_light_use_is_listed_with_spend_and_never_flagged(
    sim: Simulator, clock: FakeClock, reaper: Reaper
) -> None:
    """A seat holder active on 1 or 2 of the 28 days is listed with their monthly spend."""
    active_seat(sim, clock, "ann")
    active_seat(sim, clock, "bob")
    today = clock.now.date()
    sim.usage.add("acme", "ann", today - 5 * DAY)
    for n in range(3, 8):
        sim.usage.add("acme", "bob", today - n * DAY)
    outcome = reaper.run()
    said = text(outcome)
    assert "light use (active on at most 2 of the usage report's 28 days" in said
    assert "ann (1 day, USD 19 a month)" in said
    assert "1 in all, USD 19 a month" in said
    assert "bob (" not in said
    assert ("acme", "ann") not in reaper.flags()


def test_the_metrics_count_held_cancels_and_disagreements(
    sim: Simulator, clock: FakeClock, reaper: Reaper
) -> None:
    """The metrics give the cancels held by the usage report and the records that disagree."""
    sim.usage.set_case("acme", "policy_off")
    reaper.overrides["usage_report"] = "require"
    metrics = Metrics(dry_run=False)
    metrics.record_cycle(reaper.run(), 1.0, None)
    assert metric(metrics.render().decode(), "reaper_usage_report_held", org="acme") == 1
    sim.usage.set_case("acme", "ok")
    sim.usage.add("acme", "idle-ida", clock.now.date() - 3 * DAY)
    metrics.record_cycle(reaper.run(), 1.0, None)
    rendered = metrics.render().decode()
    assert metric(rendered, "reaper_usage_report_held", org="acme") == 0
    assert metric(rendered, "reaper_usage_report_disagreements_total", org="acme") == 1


def test_a_person_waiting_for_the_cycle_end_is_kept_when_the_report_shows_use(
    sim: Simulator, clock: FakeClock, reaper: Reaper
) -> None:
    """cycle_end: a due person waiting for the last run is read too, and their flag dropped."""
    reaper.overrides |= {"cancel_timing": "cycle_end", "billing_cycle_day": 28}
    assert clock.now.day == 10  # due since the 9th, with weeks to wait before the 28th
    first = reaper.run()
    assert reaper.cancel_requests() == []
    assert ("acme", "idle-ida") in reaper.flags()
    assert "records disagree" not in text(first)
    sim.usage.add("acme", "idle-ida", clock.now.date() - 3 * DAY)
    clock.advance(days=1)
    outcome = reaper.run()
    assert "records disagree: idle-ida" in text(outcome)
    assert reaper.flags() == {}
    assert reaper.cancel_requests() == []


def test_the_cycle_end_waiting_line_counts_only_those_the_report_does_not_keep(
    sim: Simulator, clock: FakeClock, tmp_path: Path
) -> None:
    """cycle_end: two persons newly due, the report keeps one; the line counts the other."""
    idle_seat(sim, clock, "idle-ida")
    idle_seat(sim, clock, "idle-ivo")
    timing = {"cancel_timing": "cycle_end", "billing_cycle_day": 28}
    reaper = Reaper(sim, clock, tmp_path, overrides=timing)
    reaper.run()
    clock.advance(days=7)  # both due today, weeks before the 28th
    sim.usage.add("acme", "idle-ida", clock.now.date() - 2 * DAY)
    said = text(reaper.run())
    assert "records disagree: idle-ida" in said
    assert "due persons now waiting for the cycle end: 1;" in said


def test_a_person_is_found_in_a_report_of_100_000_lines(
    sim: Simulator, clock: FakeClock, reaper: Reaper
) -> None:
    """A large report (two files, 100,000 lines of others) still finds the due person."""
    sim.usage.fill("acme", 100_000)
    sim.usage.add("acme", "idle-ida", clock.now.date() - 5 * DAY)
    with capture_logs() as logs:
        outcome = reaper.run()
    assert reaper.cancel_requests() == []
    assert "records disagree: idle-ida" in text(outcome)
    read = next(e for e in logs if e["event"] == "usage_report.read")
    assert (read["records"], read["bad"], read["seen"]) == (100_001, 0, 1)
    assert len(downloads(sim)) == 2


def test_a_long_light_use_list_is_cut_and_comes_after_the_safety_lines(
    sim: Simulator, clock: FakeClock, reaper: Reaper
) -> None:
    """Light use names 20 persons and counts the rest, after the unavailable-report line."""
    for n in range(23):
        active_seat(sim, clock, f"light{n:02d}")
        sim.usage.add("acme", f"light{n:02d}", clock.now.date() - 4 * DAY)
    sim.usage.set_case("acme", "bad_lines")
    outcome = reaper.run()
    notes = outcome.report.orgs[0].notes
    light = next(i for i, n in enumerate(notes) if n.startswith("light use"))
    bad = next(i for i, n in enumerate(notes) if n.startswith("usage report of acme"))
    assert bad < light
    assert "light19 (1 day" in notes[light]
    assert "light20" not in notes[light]
    assert "and 3 more; 23 in all, USD 437 a month" in notes[light]


@pytest.mark.parametrize("mode", ["check", "require"])
def test_the_enterprise_report_is_read_for_a_person_of_its_list(
    sim: Simulator, clock: FakeClock, tmp_path: Path, mode: str
) -> None:
    """A person read from the enterprise's list is judged by the enterprise's usage report."""
    sim.add_enterprise("octo")
    sim.add_org("octo-org", enterprise="octo")
    sim.add_seat(
        "octo-org",
        "ent-ed",
        created_at=clock.now - 400 * DAY,
        last_activity_at=clock.now - 45 * DAY,
    )
    sim.add_seat(
        "octo-org",
        "ent-eve",
        created_at=clock.now - 400 * DAY,
        last_activity_at=clock.now - 45 * DAY,
    )
    settings = {"github_orgs": ["octo-org"], "github_enterprise": "octo", "usage_report": mode}
    reaper = Reaper(sim, clock, tmp_path, settings)
    reaper.run()
    clock.advance(days=8)
    sim.usage.add("enterprise:octo", "ent-ed", clock.now.date() - 3 * DAY)
    outcome = reaper.run()
    asked = [r.path for r in sim.requests if "metrics/reports" in r.path]
    assert asked[-1] == "/enterprises/octo/copilot/metrics/reports/users-28-day/latest"
    assert "records disagree: ent-ed" in text(outcome)
    assert reaper.cancel_requests() == [["ent-eve"]]
    clock.advance(days=1)
    sim.add_seat(
        "octo-org",
        "ent-flo",
        created_at=clock.now - 400 * DAY,
        last_activity_at=clock.now - 45 * DAY,
    )
    reaper.run()
    clock.advance(days=8)
    sim.usage.set_case("enterprise:octo", "policy_off")
    outcome = reaper.run()
    said = text(outcome)
    assert "usage report of enterprise octo not fully read" in said
    # ent-ed, whom the report saw in use, is left alone although the seat record still
    # lags; without the report only the new ent-flo goes (with require, nobody)
    expected = [["ent-flo"]] if mode == "check" else [["ent-eve"]]
    assert reaper.cancel_requests()[-1:] == expected


@pytest.mark.parametrize("granted", [True, False])
def test_with_a_github_app_the_report_is_read_on_the_installation_token(
    sim: Simulator, clock: FakeClock, tmp_path: Path, granted: bool
) -> None:
    """An App asks its token for the metrics permission; an installation without it: a 403, said."""
    permissions = {"organization_copilot_seat_management": "write"}
    if granted:
        permissions["organization_copilot_metrics"] = "read"
    registered = sim.apps.add_app(APP_ID)
    sim.apps.install(APP_ID, "acme", permissions=permissions)
    idle_seat(sim, clock, "idle-ida")
    reaper = app_reaper(sim, clock, tmp_path, registered)
    assert reaper.run().ok
    clock.advance(days=8)
    sim.usage.add("acme", "idle-ida", clock.now.date() - 3 * DAY)
    outcome = reaper.run()
    said = text(outcome)
    [read] = [r for r in sim.requests if r.path == REPORT]
    assert read.headers["authorization"].startswith("Bearer ghs_")  # the installation's token
    if granted:
        assert "records disagree: idle-ida" in said
        assert reaper.cancel_requests() == []
    else:
        assert "usage report of acme not fully read" in said
        assert "403" in said
        assert reaper.cancel_requests() == [["idle-ida"]]  # check: the cycle goes on
