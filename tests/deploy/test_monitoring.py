"""The chart's alerts and Grafana dashboard query only metrics the reaper really exports.

The exported names come from a real scrape of ``/metrics`` (the reaper's ``Metrics`` behind
its ``HealthServer`` on loopback); every query is parsed as PromQL (promql-parser).
"""

from __future__ import annotations

import copy
import json
import re
import urllib.request
from functools import cache
from typing import Any

import promql_parser
import yaml

from reaper.metrics import Metrics
from reaper.service.web import HealthServer
from tests.deploy.chart import FULLNAME, NAMESPACE, documents, one
from tests.deploy.tools import CHART, ROOT

DASHBOARD = CHART / "dashboards/copilot-seat-reaper.json"
# Sample names per "# TYPE" line of the text format (a counter's TYPE already says _total,
# and its _created series has a TYPE line of its own).
SAMPLE_SUFFIXES = {
    "counter": ("",),
    "gauge": ("",),
    "untyped": ("",),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("", "_sum", "_count"),
}
PROMETHEUS_OWN = {"up"}  # series Prometheus itself adds for every target
ALERTS = {
    "CopilotReaperCycleFailed",
    "CopilotReaperNoSuccessfulCycle",
    "CopilotReaperOrgNotCompleted",
    "CopilotReaperBlastRadiusHold",
    "CopilotReaperScanIncomplete",
    "CopilotReaperDown",
}


@cache
def exported_metrics() -> frozenset[str]:
    """Every sample name the reaper's /metrics can show, from a real scrape's # TYPE lines."""
    metrics = Metrics(dry_run=True)
    http = HealthServer(
        port=0, host="127.0.0.1", live=lambda: None, ready=lambda: None, metrics=metrics.render
    )
    http.start()
    try:
        url = f"http://127.0.0.1:{http.port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as answer:
            text = answer.read().decode()
    finally:
        http.stop()
    names = set()
    for family, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, re.MULTILINE):
        names |= {family + suffix for suffix in SAMPLE_SUFFIXES[kind]}
    assert "reaper_seats" in names
    return frozenset(names)


def grafana_to_promql(expr: str) -> str:
    """Replace Grafana's variables: time ranges by 5m, others outside quotes by 1."""
    expr = re.sub(r"\$\{?__\w+\}?", "5m", expr)
    parts = expr.split('"')
    parts[::2] = [re.sub(r"\$\{?\w+\}?", "1", part) for part in parts[::2]]
    return '"'.join(parts)


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects (a selector without one counts as "")."""
    names: set[str] = set()

    def visit(node: Any) -> bool:
        if isinstance(node, promql_parser.VectorSelector):
            names.add(node.name or "")
        return True

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def dashboard_queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, PromQL) for every panel target and every query variable of a dashboard."""
    queries = [
        (f"panel {panel['title']!r}", grafana_to_promql(target["expr"]))
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            found = re.fullmatch(r"label_values\((\w+),\s*\w+\)", variable["definition"])
            assert found, f"variable {variable['name']}: {variable['definition']}"
            queries.append((f"variable {variable['name']!r}", found.group(1)))
    return queries


def unknown_metrics(dashboard: dict[str, Any]) -> list[str]:
    """Each query of the dashboard that names a metric the reaper does not export."""
    return [
        f"{where}: {name or '(no metric name)'}"
        for where, query in dashboard_queries(dashboard)
        for name in sorted(metric_names(query) - exported_metrics())
    ]


def load_dashboard() -> dict[str, Any]:
    return dict(json.loads(DASHBOARD.read_text()))


def test_every_dashboard_query_names_an_exported_metric() -> None:
    """Each panel and variable of the dashboard queries only metrics /metrics exports."""
    dashboard = load_dashboard()
    assert len(dashboard_queries(dashboard)) >= 10
    assert unknown_metrics(dashboard) == []


def test_a_panel_querying_a_metric_that_does_not_exist_is_caught() -> None:
    """The check fails a dashboard whose panel asks for a metric the reaper never exports."""
    dashboard = copy.deepcopy(load_dashboard())
    dashboard["panels"][0]["targets"][0]["expr"] = 'sum(reaper_seats_by_colour{colour="red"})'
    dashboard["panels"][1]["targets"][0]["expr"] = "rate(reaper_flags[5m])"  # no _total
    assert unknown_metrics(dashboard) == [
        f"panel {dashboard['panels'][0]['title']!r}: reaper_seats_by_colour",
        f"panel {dashboard['panels'][1]['title']!r}: reaper_flags",
    ]


def test_the_dashboard_shows_what_the_issue_asks_for() -> None:
    """Seats by status, flags and cancellations, saving, duration and rate-limit headroom."""
    dashboard = load_dashboard()
    panels = {panel["title"]: panel for panel in dashboard["panels"]}
    wanted = {
        "Seats by status": "reaper_seats",
        "Flags and cancellations per cycle": "reaper_cancellations_total",
        "Monthly saving": "reaper_monthly_saving_usd_total",
        "Cycle duration": "reaper_cycle_duration_seconds_sum",
        "GitHub rate-limit headroom": "reaper_github_rate_limit_remaining",
    }
    for title, metric in wanted.items():
        queries = [grafana_to_promql(t["expr"]) for t in panels[title]["targets"]]
        assert any(metric in metric_names(q) for q in queries), title
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}


def test_the_dashboard_config_map_carries_the_seat_price_for_the_sidecar() -> None:
    """The rendered ConfigMap holds valid dashboard JSON priced at prices.business."""
    docs = documents("everything", "prices.business=25")
    config_map = one(docs, "ConfigMap", f"{FULLNAME}-dashboard")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert config_map["metadata"]["namespace"] == "monitoring"
    assert config_map["metadata"]["annotations"] == {"grafana_folder": "Platform"}
    dashboard = json.loads(config_map["data"]["copilot-seat-reaper.json"])
    (price,) = [v for v in dashboard["templating"]["list"] if v["name"] == "seat_price"]
    assert price["query"] == price["current"]["value"] == "25"
    assert "__SEAT_PRICE__" not in config_map["data"]["copilot-seat-reaper.json"]


def rules() -> list[dict[str, Any]]:
    rule = one(documents("everything"), "PrometheusRule")
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    return [r for group in rule["spec"]["groups"] for r in group["rules"]]


def test_the_alerts_query_only_exported_metrics() -> None:
    """Each alert parses as PromQL and names only reaper metrics (and Prometheus' own up)."""
    for rule in rules():
        names = metric_names(rule["expr"])
        assert names, rule["alert"]
        unknown = names - exported_metrics() - PROMETHEUS_OWN
        assert not unknown, f"{rule['alert']}: {sorted(unknown)}"


def test_the_alerts_are_the_readmes_and_scoped_to_the_release() -> None:
    """The rule holds the README's alerts, each scoped to the release, labelled and explained."""
    found = rules()
    assert {rule["alert"] for rule in found} == ALERTS
    for rule in found:
        assert f'namespace="{NAMESPACE}", service="{FULLNAME}"' in rule["expr"], rule["alert"]
        assert rule["labels"] == {"severity": "warning", "team": "platform"}
        assert rule["for"]
        assert rule["annotations"]["summary"]
    readme = (ROOT / "README.md").read_text()
    block = readme.split("```yaml\n# PrometheusRule alerts", 1)[1].split("```", 1)[0]
    block = block.split("\n", 1)[1]  # past the heading comment
    readme_rules = yaml.safe_load(block)
    assert {rule["alert"] for rule in readme_rules} == ALERTS
    for rule in readme_rules:
        assert metric_names(rule["expr"]) <= exported_metrics() | PROMETHEUS_OWN


def test_no_successful_cycle_waits_for_the_configured_hours() -> None:
    """The no-success alert's window and threshold follow noSuccessHours."""
    rule = one(
        documents("everything", "metrics.prometheusRule.noSuccessHours=30"), "PrometheusRule"
    )
    (no_success,) = [
        r
        for group in rule["spec"]["groups"]
        for r in group["rules"]
        if r["alert"] == "CopilotReaperNoSuccessfulCycle"
    ]
    assert "[30h]" in no_success["expr"]
    assert f"> {30 * 3600}" in no_success["expr"]
    assert "offset 30h" in no_success["expr"]
