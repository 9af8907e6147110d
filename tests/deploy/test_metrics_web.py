"""The metrics and the HTTP server in process: what a cycle records, and how probes answer."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import TYPE_CHECKING

import pytest

from reaper.cycle.orchestrator import CycleOutcome
from reaper.metrics import Metrics
from reaper.report import Counts, CycleReport, OrgReport
from reaper.service.web import HealthServer, probe
from tests.conftest import T0
from tests.deploy.test_service_http import metric

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from reaper.simulator import Simulator
    from tests.conftest import FakeClock


def outcome(*orgs: OrgReport, delivered: bool = True, dry_run: bool = False) -> CycleOutcome:
    return CycleOutcome(CycleReport(at=T0, dry_run=dry_run, orgs=list(orgs)), delivered=delivered)


def scanned(org: str, **counts: int) -> OrgReport:
    return OrgReport(org, counts=Counts(**counts))


def test_a_complete_cycle_sets_seats_counters_and_success_time() -> None:
    """A complete cycle sets the seat gauges, adds its flags and cancels, and marks success."""
    metrics = Metrics(dry_run=False, clock=lambda: 1234.0)
    label = metrics.record_cycle(
        outcome(
            scanned(
                "acme",
                seats=9,
                active=5,
                inactive=3,
                newly_flagged=2,
                in_grace=1,
                cancelled=1,
                already_pending=1,
                exempt=0,
            )
        ),
        2.5,
        None,
    )
    text = metrics.render().decode()
    assert label == "ok"
    assert metric(text, "reaper_seats", org="acme", status="flagged") == 3
    assert metric(text, "reaper_seats", org="acme", status="pending") == 1
    assert metric(text, "reaper_cancellations_total", org="acme", dry_run="false") == 1
    assert metric(text, "reaper_flags_total", org="acme", dry_run="false") == 2
    assert metric(text, "reaper_last_success_timestamp_seconds") == 1234.0
    assert metric(text, "reaper_cycle_duration_seconds_sum") == 2.5
    assert metric(text, "reaper_dry_run") == 0


def test_an_unread_org_keeps_its_last_seat_numbers() -> None:
    """An org whose seat list failed keeps its last seat gauges and reports org_last_cycle_ok 0."""
    metrics = Metrics(dry_run=True)
    metrics.record_cycle(outcome(scanned("acme", seats=4, active=4)), 1.0, None)
    failed = OrgReport("acme")
    failed.fail("seat list could not be read")
    label = metrics.record_cycle(outcome(failed), 1.0, None)
    text = metrics.render().decode()
    assert label == "failed"
    assert metric(text, "reaper_seats", org="acme", status="active") == 4
    assert metric(text, "reaper_org_last_cycle_ok", org="acme") == 0
    assert metric(text, "reaper_last_cycle_outcome", outcome="failed") == 1


def test_a_cycle_that_raised_is_recorded_as_error() -> None:
    """``record_cycle(None, ...)``: outcome error, no success time, nothing delivered."""
    metrics = Metrics(dry_run=True)
    assert metrics.record_cycle(None, 0.1, None) == "error"
    text = metrics.render().decode()
    assert metric(text, "reaper_cycles_total", outcome="error") == 1
    assert metric(text, "reaper_last_cycle_outcome", outcome="error") == 1
    assert metric(text, "reaper_last_success_timestamp_seconds") == 0
    assert metric(text, "reaper_slack_deliveries_total", outcome="delivered") == 0


def test_an_undelivered_report_counts_as_a_failed_delivery() -> None:
    """A report that did not reach Slack counts a failed delivery and a failed cycle."""
    metrics = Metrics(dry_run=True)
    assert metrics.record_cycle(outcome(scanned("acme"), delivered=False), 1.0, None) == "failed"
    text = metrics.render().decode()
    assert metric(text, "reaper_slack_deliveries_total", outcome="failed") == 1


@pytest.fixture
def server() -> Iterator[tuple[HealthServer, dict[str, str | None]]]:
    """A HealthServer on a free loopback port whose checks the test sets."""
    state: dict[str, str | None] = {"live": None, "ready": None}
    http = HealthServer(
        port=0,
        host="127.0.0.1",
        live=lambda: state["live"],
        ready=lambda: state["ready"],
        metrics=lambda: b"reaper_up 1\n",
    )
    http.start()
    yield http, state
    http.stop()


def status_of(port: int, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_probes_answer_503_with_the_reason(
    server: tuple[HealthServer, dict[str, str | None]],
) -> None:
    """A failing check turns its endpoint into 503; the other endpoints keep answering."""
    http, state = server
    state["ready"] = "state store not reachable"
    assert status_of(http.port, "/readyz") == 503
    assert status_of(http.port, "/healthz") == 200
    assert status_of(http.port, "/metrics?x=1") == 200
    state["live"] = "scheduler not running"
    assert status_of(http.port, "/healthz") == 503


def test_the_image_healthcheck_probe_follows_healthz(
    server: tuple[HealthServer, dict[str, str | None]],
) -> None:
    """`python -m reaper.service.web` (the image HEALTHCHECK) exits 0 on 200 and 1 otherwise."""
    http, state = server
    assert probe("/healthz", http.port) == 0
    state["live"] = "scheduler not running"
    assert probe("/healthz", http.port) == 1
    http.stop()
    assert probe("/healthz", http.port, timeout=1) == 1


def test_held_orgs_say_why_for_the_alerts(sim: Simulator, clock: FakeClock, tmp_path: Path) -> None:
    """A blast-radius hold and an unreadable list set reaper_org_held with their own reason."""
    from reaper.simulator import Fault  # noqa: PLC0415
    from tests.harness import DAY, Reaper, idle_seat  # noqa: PLC0415

    sim.add_org("other")
    sim.add_seat("other", "busy-bo", created_at=clock.now - 400 * DAY, last_activity_at=clock.now)
    for n in range(3):
        idle_seat(sim, clock, f"idle-{n}")
    reaper = Reaper(sim, clock, tmp_path, overrides={"github_orgs": ["acme", "other"]})
    assert reaper.run().ok
    clock.advance(days=8)
    reaper.overrides["max_cancellations"] = 2
    sim.inject(Fault(path="^/orgs/other/copilot/billing/seats$", status=502, times=10))
    metrics = Metrics(dry_run=False)
    metrics.record_cycle(reaper.run(), 1.0, None)
    text = metrics.render().decode()
    assert metric(text, "reaper_org_held", org="acme", reason="blast_radius") == 1
    assert metric(text, "reaper_org_held", org="acme", reason="scan_incomplete") == 0
    assert metric(text, "reaper_org_held", org="other", reason="scan_incomplete") == 1
    assert metric(text, "reaper_org_held", org="other", reason="blast_radius") == 0
    assert reaper.cancel_requests() == []


def test_the_saving_is_counted_as_the_report_prices_it() -> None:
    """Persons who lost their last grant add their plan's price; one who keeps a grant adds 0."""
    from reaper.report import Entry, Prices  # noqa: PLC0415

    org = scanned("acme", seats=3, cancelled=2)
    org.cancelled += [
        Entry("acme", "ida", "idle", plan_type="business"),
        Entry("acme", "eve", "idle", plan_type="enterprise"),
        Entry("acme", "max", "idle", plan_type="business", saved=False),
    ]
    org.flagged.append(Entry("acme", "bo", "idle", plan_type="business"))
    metrics = Metrics(dry_run=False, prices=Prices(19.0, 39.0))
    metrics.record_cycle(outcome(org), 1.0, None)
    text = metrics.render().decode()
    assert metric(text, "reaper_monthly_saving_usd_total", dry_run="false") == 19.0 + 39.0
    assert metric(text, "reaper_due_saving_usd") == 19.0
