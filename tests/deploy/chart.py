"""Render the Helm chart for the tests: value sets, `helm template`, `helm install --dry-run`."""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

import yaml

from tests.deploy.tools import CHART, ROOT, newest_validated_kubernetes, run_helm

if TYPE_CHECKING:
    from pathlib import Path

# The value sets the chart is tested with; "everything" turns every optional part on.
VALUE_SETS: dict[str, Path] = {
    "minimal": ROOT / "helm/examples/minimal-values.yaml",
    "everything": CHART / "ci/everything-values.yaml",
    "cronjob": CHART / "ci/cronjob-values.yaml",
    "existing-secret": CHART / "ci/existing-secret-values.yaml",
    "servicemonitor": CHART / "ci/servicemonitor-values.yaml",
    "live": CHART / "ci/live-values.yaml",
    "replicas": CHART / "ci/replicas-values.yaml",
    "enterprise": CHART / "ci/enterprise-values.yaml",
    "openshift": CHART / "ci/openshift-values.yaml",
}
RELEASE, NAMESPACE = "reaper", "tools"
FULLNAME = f"{RELEASE}-copilot-seat-reaper"


def chart_meta() -> dict[str, Any]:
    return dict(yaml.safe_load((CHART / "Chart.yaml").read_text()))


def oldest_kubernetes() -> str:
    """The lower bound of the chart's kubeVersion range, e.g. ``>=1.27.0-0`` -> 1.27.0."""
    found = re.fullmatch(r">=\s*(\d+\.\d+\.\d+)(-0)?", chart_meta()["kubeVersion"])
    assert found, f"kubeVersion is not a plain lower bound: {chart_meta()['kubeVersion']}"
    return found.group(1)


def kube_version(which: str) -> str:
    """``oldest`` (the chart's kubeVersion bound) or ``newest`` (the validator's newest)."""
    return oldest_kubernetes() if which == "oldest" else newest_validated_kubernetes()


def value_args(value_set: str | None, sets: tuple[str, ...]) -> list[str]:
    args = ["-f", str(VALUE_SETS[value_set])] if value_set else []
    for one_set in sets:
        args += ["--set", one_set]
    return args


@cache
def rendered(value_set: str, kube: str = "newest", *sets: str) -> str:
    """The chart rendered as a YAML stream (helm template), or the test fails."""
    args = ["template", RELEASE, str(CHART), "--namespace", NAMESPACE]
    args += ["--kube-version", kube_version(kube), *value_args(value_set, sets)]
    result = run_helm(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def render_failure(*args: str) -> str:
    """Render with these arguments, expect helm to refuse, return its complaint."""
    result = run_helm("template", RELEASE, str(CHART), "--namespace", NAMESPACE, *args)
    assert result.returncode != 0, f"rendered although it should not:\n{result.stdout[:2000]}"
    return result.stderr


@cache
def installed(value_set: str, *sets: str) -> tuple[list[dict[str, Any]], str]:
    """`helm install --dry-run=client`: the manifests and the NOTES it would show."""
    result = run_helm(
        "install", RELEASE, str(CHART), "--namespace", NAMESPACE, "--dry-run=client",
        *value_args(value_set, sets),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    manifest, notes = result.stdout.split("\nMANIFEST:\n", 1)[1].split("\nNOTES:\n", 1)
    return [doc for doc in yaml.safe_load_all(manifest) if doc], notes


def documents(value_set: str, *sets: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(rendered(value_set, "newest", *sets)) if doc]


def kinds(docs: list[dict[str, Any]]) -> set[str]:
    return {doc["kind"] for doc in docs}


def one(docs: list[dict[str, Any]], kind: str, name: str = FULLNAME) -> dict[str, Any]:
    found = [doc for doc in docs if doc["kind"] == kind and doc["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, got {len(found)}"
    return found[0]


def pod_spec(docs: list[dict[str, Any]]) -> dict[str, Any]:
    if "CronJob" in kinds(docs):
        return dict(one(docs, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"])
    return dict(one(docs, "Deployment")["spec"]["template"]["spec"])


def pod_annotations(docs: list[dict[str, Any]]) -> dict[str, str]:
    return dict(one(docs, "Deployment")["spec"]["template"]["metadata"]["annotations"])


def config(docs: list[dict[str, Any]]) -> dict[str, str]:
    return dict(one(docs, "ConfigMap")["data"])
