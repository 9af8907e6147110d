"""Prometheus metrics of ``reaper run``: what the last cycles found, did, and how they went.

Every metric lives on a registry of its own (not the process-wide default), so a test can
make as many ``Metrics`` as it likes. ``record_cycle`` is the one entry point: the service
calls it after every cycle, with the outcome, or with ``None`` when the cycle raised.
Slack's buttons add ``record_slack_action`` (every click, by action and outcome) and
``record_socket_event`` (the Socket Mode connection coming up or going down).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from reaper.core.timing import SAVES
from reaper.core.usage import DISAGREE, HELD
from reaper.redact import scrub
from reaper.report.model import HOLDS
from reaper.report.summary import Prices, savings

if TYPE_CHECKING:
    from collections.abc import Callable

    from reaper.cycle.orchestrator import CycleOutcome
    from reaper.github import GitHubClient
    from reaper.report.model import Counts

#: ``reaper_last_cycle_outcome`` states: ``ok`` every org done and the report delivered;
#: ``failed`` an org incomplete, a cancel failed or the report undelivered; ``error`` the
#: cycle stopped early (state store down, an unexpected error); ``none`` no cycle yet.
#: ``reaper_cycles_total`` also counts ``skipped``: another reaper held the lock (a standby
#: replica, an overlapping run); a skipped slot leaves the other metrics as they were.
OUTCOMES = ("none", "ok", "failed", "error")
SEAT_STATUSES = ("active", "inactive", "flagged", "pending", "exempt")
_DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600)
#: ``reaper_slack_socket_events_total`` events: the connection came up, or was lost.
SOCKET_EVENTS = ("connected", "lost")


def _seat_statuses(counts: Counts) -> dict[str, int]:
    """Map one org's report counts to the ``reaper_seats`` statuses."""
    return {
        "active": counts.active,
        "inactive": counts.inactive,
        "flagged": counts.newly_flagged + counts.in_grace,
        "pending": counts.already_pending,
        "exempt": counts.exempt,
    }


class Metrics:
    """The reaper's metrics on their own ``CollectorRegistry``."""

    def __init__(
        self,
        *,
        dry_run: bool,
        clock: Callable[[], float] = time.time,
        prices: Prices | None = None,
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._clock = clock
        self._prices = prices or Prices(19.0, 39.0)
        reg = self.registry
        self.seats = Gauge(
            "reaper_seats",
            "Copilot seats by org and status, as the last complete scan of the org found them",
            ["org", "status"],
            registry=reg,
        )
        self.org_ok = Gauge(
            "reaper_org_last_cycle_ok",
            "1 when the org's last cycle completed, 0 when its seat list or a cancel failed",
            ["org"],
            registry=reg,
        )
        self.org_held = Gauge(
            "reaper_org_held",
            "1 when the org's last cycle was held for this reason (preflight, scan_incomplete, "
            "forget_limit, blast_radius), else 0",
            ["org", "reason"],
            registry=reg,
        )
        self.saving = Counter(
            "reaper_monthly_saving_usd",
            "Monthly USD saved by cancellations: each person who lost their last grant, at "
            "their plan's price (dry_run=true: would have been saved)",
            ["dry_run"],
            registry=reg,
        )
        self.cycle_days = Gauge(
            "reaper_billing_cycle_days",
            "Days from the last cycle to the org's next billing-cycle date, when known",
            ["org"],
            registry=reg,
        )
        self.cycle_waiting = Gauge(
            "reaper_waiting_for_cycle_end",
            "Due persons kept until the last run before the billing cycle ends, last cycle",
            ["org"],
            registry=reg,
        )
        self.usage_held = Gauge(
            "reaper_usage_report_held",
            "Cancels held last cycle because the usage report could not be read (require)",
            ["org"],
            registry=reg,
        )
        self.usage_disagree = Counter(
            "reaper_usage_report_disagreements",
            "Due persons kept because the usage report showed later use than the seat record",
            ["org"],
            registry=reg,
        )
        self.saving_due = Gauge(
            "reaper_due_saving_usd",
            "Monthly USD of the persons flagged and waiting for their due date, last cycle",
            registry=reg,
        )
        self.flags = Counter(
            "reaper_flags",
            "Seats newly flagged as inactive (dry_run=true: would have been flagged)",
            ["org", "dry_run"],
            registry=reg,
        )
        self.cancellations = Counter(
            "reaper_cancellations",
            "Seats cancelled (dry_run=true: would have been cancelled)",
            ["org", "dry_run"],
            registry=reg,
        )
        self.team_removals = Counter(
            "reaper_team_removals",
            "Persons removed from a team of REAPER_RECLAIM_TEAMS (live runs only), by team",
            ["team"],
            registry=reg,
        )
        self.cycles = Counter(
            "reaper_cycles",
            "Cycles run, by outcome (ok, failed, error; skipped: another reaper held the lock)",
            ["outcome"],
            registry=reg,
        )
        self.duration = Histogram(
            "reaper_cycle_duration_seconds",
            "Wall-clock duration of a cycle",
            buckets=_DURATION_BUCKETS,
            registry=reg,
        )
        self.last_outcome = Gauge(
            "reaper_last_cycle_outcome",
            "1 for the outcome of the last cycle (none, ok, failed, error), 0 for the others",
            ["outcome"],
            registry=reg,
        )
        self.last_cycle = Gauge(
            "reaper_last_cycle_timestamp_seconds",
            "Unix time the last cycle ended, whatever its outcome (0: none yet)",
            registry=reg,
        )
        self.last_success = Gauge(
            "reaper_last_success_timestamp_seconds",
            "Unix time the last fully successful cycle ended (0: none yet)",
            registry=reg,
        )
        self.github_requests = Counter(
            "reaper_github_requests",
            "HTTP responses from GitHub, by status code",
            ["status"],
            registry=reg,
        )
        self.rate_limit = Gauge(
            "reaper_github_rate_limit_remaining",
            "GitHub's x-ratelimit-remaining after the last cycle (-1: not known yet)",
            registry=reg,
        )
        self.slack = Counter(
            "reaper_slack_deliveries",
            "Report deliveries (Slack, or the log when Slack is not configured), by outcome",
            ["outcome"],
            registry=reg,
        )
        self.slack_actions = Counter(
            "reaper_slack_actions",
            "Slack button clicks by action (keep, release, release_confirm, reinstate, "
            "admin_keep, unknown) and outcome (accepted, asked, dry_run, not_allowed, "
            "unreadable, stale, already, gone, busy, failed)",
            ["action", "outcome"],
            registry=reg,
        )
        self.socket_events = Counter(
            "reaper_slack_socket_events",
            "Slack Socket Mode connection events: connected, lost",
            ["event"],
            registry=reg,
        )
        self.dry_run = Gauge(
            "reaper_dry_run", "1 when the reaper only reports, 0 when it cancels", registry=reg
        )
        self.dry_run.set(1 if dry_run else 0)
        self.rate_limit.set(-1)
        self._set_outcome("none")
        for outcome in ("ok", "failed", "error", "skipped"):
            self.cycles.labels(outcome=outcome)
        for outcome in ("delivered", "failed"):
            self.slack.labels(outcome=outcome)
        for event in SOCKET_EVENTS:
            self.socket_events.labels(event=event)

    def record_cycle(
        self, outcome: CycleOutcome | None, duration: float, github: GitHubClient | None
    ) -> str:
        """Record one finished cycle; ``outcome`` is ``None`` when it raised.

        Returns the outcome label recorded: ``ok``, ``failed``, ``error`` or ``skipped``.
        """
        if outcome is not None and outcome.skipped:
            self.cycles.labels(outcome="skipped").inc()
            return "skipped"
        label = "ok" if outcome is not None and outcome.ok else "failed"
        if outcome is None or outcome.error is not None:
            label = "error"
        now = self._clock()
        self.cycles.labels(outcome=label).inc()
        self.duration.observe(max(duration, 0.0))
        self._set_outcome(label)
        self.last_cycle.set(now)
        if label == "ok":
            self.last_success.set(now)
        if outcome is not None:
            self._record_report(outcome)
        if github is not None:
            for status, count in github.responses_by_status.items():
                self.github_requests.labels(status=str(status)).inc(count)
            if github.rate_limit_remaining is not None:
                self.rate_limit.set(github.rate_limit_remaining)
        return label

    def record_slack_action(self, action: str, outcome: str) -> None:
        """Count one click of a Slack button, accepted or refused."""
        self.slack_actions.labels(action=scrub(action), outcome=scrub(outcome)).inc()

    def record_socket_event(self, event: str) -> None:
        """Count the Socket Mode connection coming up (``connected``) or going down (``lost``)."""
        self.socket_events.labels(event=event).inc()

    def render(self) -> bytes:
        """Return every metric in the Prometheus text format."""
        return generate_latest(self.registry)

    def _record_report(self, outcome: CycleOutcome) -> None:
        report = outcome.report
        dry_run = "true" if report.dry_run else "false"
        self.slack.labels(outcome="delivered" if outcome.delivered else "failed").inc()
        saving = savings(report, self._prices)
        self.saving.labels(dry_run=dry_run).inc(saving.cancelled)
        if not report.failed:
            self.saving_due.set(saving.due)
        for org in report.orgs:
            name = scrub(org.org)  # label values are output too: never a secret in them
            self.org_ok.labels(org=name).set(0 if org.failed else 1)
            for reason in HOLDS:
                self.org_held.labels(org=name, reason=reason).set(int(reason in org.holds))
            counts = org.counts
            if counts.newly_flagged:
                self.flags.labels(org=name, dry_run=dry_run).inc(counts.newly_flagged)
            if counts.cancelled:
                self.cancellations.labels(org=name, dry_run=dry_run).inc(counts.cancelled)
            for team, removed in org.teams_removed.items():
                self.team_removals.labels(team=scrub(team)).inc(removed)
            if org.next_cycle is not None:
                self.cycle_days.labels(org=name).set((org.next_cycle - report.at.date()).days)
            waiting = [e for e in org.in_grace if e.reason.endswith(SAVES)]
            self.cycle_waiting.labels(org=name).set(len(waiting))
            held = [e for e in org.in_grace if e.reason.startswith(HELD)]
            self.usage_held.labels(org=name).set(len(held))
            disagree = [e for e in org.reactivated if e.reason.startswith(DISAGREE)]
            if disagree:
                self.usage_disagree.labels(org=name).inc(len(disagree))
            if org.failed and counts.seats == 0:
                continue  # the seat list was not read: keep the last known numbers
            for status, value in _seat_statuses(counts).items():
                self.seats.labels(org=name, status=status).set(value)

    def _set_outcome(self, label: str) -> None:
        for state in OUTCOMES:
            self.last_outcome.labels(outcome=state).set(1 if state == label else 0)
