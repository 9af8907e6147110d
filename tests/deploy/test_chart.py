"""The Helm chart: lint, render with every value set, validate, and check what it promises.

Needs helm and kubernetes-validate (``scripts/install-deploy-tools.sh --no-podman``); a
missing tool fails these tests rather than skipping them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from functools import cache
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from reaper.settings import SECRET_FIELDS, Settings
from tests.deploy.tools import CHART, ROOT, helm, kubernetes_validate

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

KUBE_VERSIONS = ("1.29.0", "1.33.0")
VALUE_SETS = {
    "defaults": None,
    "minimal": ROOT / "helm/examples/minimal-values.yaml",
    "cronjob": CHART / "ci/cronjob-values.yaml",
    "existing-secret": CHART / "ci/existing-secret-values.yaml",
    "servicemonitor": CHART / "ci/servicemonitor-values.yaml",
    "live": CHART / "ci/live-values.yaml",
    "replicas": CHART / "ci/replicas-values.yaml",
}
# Settings that have no value of their own in the chart, and why.
NOT_CHART_VALUES = {
    "user_map_file": "a file: set REAPER_USER_MAP_FILE in extraEnv and mount it (extraVolumes)",
}


def run_helm(*args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    scratch = str(home or ROOT / ".tools/helm-home")
    env = {
        **os.environ,
        "HELM_CACHE_HOME": scratch,
        "HELM_CONFIG_HOME": scratch,
        "HELM_DATA_HOME": scratch,
    }
    return subprocess.run(
        [helm(), *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


@cache
def rendered(value_set: str, kube_version: str = "1.33.0", *sets: str) -> str:
    """The chart rendered as a YAML stream (helm template), or the test fails."""
    args = ["template", "reaper", str(CHART), "--namespace", "tools"]
    args += ["--kube-version", kube_version]
    if VALUE_SETS[value_set] is not None:
        args += ["-f", str(VALUE_SETS[value_set])]
    for one in sets:
        args += ["--set", one]
    result = run_helm(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def documents(value_set: str, *sets: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(rendered(value_set, "1.33.0", *sets)) if doc]


def one(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [doc for doc in docs if doc["kind"] == kind]
    assert len(found) == 1, f"expected one {kind}, got {len(found)}"
    return found[0]


def pod_spec(docs: list[dict[str, Any]]) -> dict[str, Any]:
    kinds = {doc["kind"] for doc in docs}
    if "CronJob" in kinds:
        return dict(one(docs, "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"])
    return dict(one(docs, "Deployment")["spec"]["template"]["spec"])


def config(docs: list[dict[str, Any]]) -> dict[str, str]:
    return dict(one(docs, "ConfigMap")["data"])


def test_lint_strict_passes_for_every_value_set() -> None:
    """`helm lint --strict` passes with the default values and with each value set."""
    for name, values in VALUE_SETS.items():
        result = run_helm("lint", "--strict", str(CHART), *(["-f", str(values)] if values else []))
        assert result.returncode == 0, f"{name}: {result.stdout}{result.stderr}"
        assert "0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("value_set", list(VALUE_SETS))
def test_rendered_manifests_validate_strictly(value_set: str, kube_version: str) -> None:
    """Every rendered manifest passes kubernetes-validate --strict for this Kubernetes version."""
    stream = rendered(value_set, kube_version)
    result = subprocess.run(
        [kubernetes_validate(), "--strict", "-k", kube_version, "-"],
        input=stream,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    workload = "cronjob" if value_set == "cronjob" else "deployment"
    assert f"passed for resource {workload}/reaper-copilot-seat-reaper" in result.stdout
    assert "configmap/reaper-copilot-seat-reaper" in result.stdout
    unvalidated = re.findall(r"Couldn't find schema for kind (\w+)", result.stdout)
    assert set(unvalidated) <= {"ServiceMonitor"}  # a CRD: checked by the test below


@pytest.mark.parametrize("value_set", ["defaults", "cronjob", "live"])
def test_the_pod_runs_non_root_on_a_read_only_root_filesystem(value_set: str) -> None:
    """The pod runs as the image's fixed non-root UID, read-only root, no privileges, no token."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    user = re.search(r"^USER (\d+):(\d+)$", dockerfile, re.MULTILINE)
    assert user, "the Dockerfile sets no numeric USER uid:gid"
    uid, gid = int(user.group(1)), int(user.group(2))
    spec = pod_spec(documents(value_set))
    pod = spec["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert (pod["runAsUser"], pod["runAsGroup"], pod["fsGroup"]) == (uid, gid, gid)
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["automountServiceAccountToken"] is False
    (container,) = spec["containers"]
    ctx = container["securityContext"]
    assert ctx["runAsNonRoot"] is True
    assert ctx["runAsUser"] == uid
    assert ctx["readOnlyRootFilesystem"] is True
    assert ctx["allowPrivilegeEscalation"] is False
    assert ctx["capabilities"] == {"drop": ["ALL"]}
    assert ctx["seccompProfile"] == {"type": "RuntimeDefault"}
    assert set(container["resources"]) == {"requests", "limits"}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert {"/data", "/tmp"} <= set(mounts)  # noqa: S108  (the only writable places)


def test_deployment_runs_reaper_run_alone_with_probes() -> None:
    """Deployment mode: one replica, Recreate, `run`, probes on /healthz and /readyz, a PVC."""
    docs = documents("defaults")
    deployment = one(docs, "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    (container,) = pod_spec(docs)["containers"]
    assert container["args"] == ["run"]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["ports"][0]["containerPort"] == int(config(docs)["REAPER_HTTP_PORT"])
    claim = one(docs, "PersistentVolumeClaim")
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert config(docs)["REAPER_STATE_URL"] == "sqlite:////data/reaper.db"
    assert {doc["kind"] for doc in docs} >= {"Service", "Secret", "ServiceAccount"}


def test_cronjob_mode_runs_reaper_once_on_the_schedule() -> None:
    """Cronjob mode: a CronJob running `once` on `schedule`, Forbid, and no Deployment."""
    docs = documents("cronjob")
    cronjob = one(docs, "CronJob")
    assert cronjob["spec"]["schedule"] == config(docs)["REAPER_SCHEDULE"] == "30 6 * * *"
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    spec = pod_spec(docs)
    assert spec["containers"][0]["args"] == ["once"]
    assert spec["restartPolicy"] == "Never"
    assert not {"Deployment", "Service"} & {doc["kind"] for doc in docs}


def test_dry_run_is_the_chart_default_too() -> None:
    """REAPER_DRY_RUN is "true" unless dryRun is false."""
    assert config(documents("defaults"))["REAPER_DRY_RUN"] == "true"
    assert config(documents("minimal"))["REAPER_DRY_RUN"] == "true"
    assert config(documents("live"))["REAPER_DRY_RUN"] == "false"


def test_tokens_come_only_from_the_secret() -> None:
    """No token in the ConfigMap; the container reads them from the created Secret."""
    docs = documents("live")
    assert not {f"REAPER_{name.upper()}" for name in SECRET_FIELDS} & set(config(docs))
    secret = one(docs, "Secret")
    assert secret["stringData"]["REAPER_GITHUB_TOKEN"] == "ghp_not_a_real_token"
    env = {
        e["name"]: e["valueFrom"]["secretKeyRef"] for e in pod_spec(docs)["containers"][0]["env"]
    }
    assert env["REAPER_GITHUB_TOKEN"] == {
        "name": secret["metadata"]["name"],
        "key": "REAPER_GITHUB_TOKEN",
    }
    assert env["REAPER_SLACK_BOT_TOKEN"]["optional"] is True


def test_an_existing_secret_replaces_the_charts_own() -> None:
    """With existingSecret the chart creates no Secret and reads every token from that one."""
    docs = documents("existing-secret")
    assert "Secret" not in {doc["kind"] for doc in docs}
    env = pod_spec(docs)["containers"][0]["env"]
    assert {e["valueFrom"]["secretKeyRef"]["name"] for e in env} == {"reaper-tokens"}


def test_a_changed_setting_changes_the_config_checksum() -> None:
    """checksum/config follows the ConfigMap, so a changed setting rolls the pod."""

    def checksum(*sets: str) -> str:
        template = one(documents("defaults", *sets), "Deployment")["spec"]["template"]
        return str(template["metadata"]["annotations"]["checksum/config"])

    assert checksum("inactiveDays=30") != checksum()
    assert checksum("image.tag=9.9.9") == checksum()  # only settings count


def test_configmap_names_every_setting_of_the_reaper() -> None:
    """Each REAPER_* in the ConfigMap is a real setting, and each setting but secrets is there."""
    fields = {f"REAPER_{name.upper()}" for name in Settings.model_fields}
    secrets = {f"REAPER_{name.upper()}" for name in SECRET_FIELDS}
    exempt = {f"REAPER_{name.upper()}" for name in NOT_CHART_VALUES}
    keys = set(config(documents("defaults")))
    assert keys <= fields, f"not settings of the reaper: {sorted(keys - fields)}"
    missing = fields - secrets - exempt - keys - {"REAPER_SLACK_CHANNEL"}  # only when set
    assert not missing, f"settings without a chart value: {sorted(missing)}"
    assert "REAPER_SLACK_CHANNEL" in config(documents("live"))


def test_servicemonitor_scrapes_the_metrics_service() -> None:
    """The ServiceMonitor selects the Service's labels and scrapes its named port's /metrics."""
    docs = documents("servicemonitor")
    monitor, service = one(docs, "ServiceMonitor"), one(docs, "Service")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= service["metadata"]["labels"].items()
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] == service["spec"]["ports"][0]["name"]
    assert endpoint["path"] == "/metrics"
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert "ServiceMonitor" not in {doc["kind"] for doc in documents("defaults")}


def test_standby_replicas_on_postgresql_roll_one_pod_at_a_time() -> None:
    """Two replicas on PostgreSQL: two pods, rolled one at a time, no volume claim."""
    docs = documents("replicas")
    deployment = one(docs, "Deployment")
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
    }
    assert "PersistentVolumeClaim" not in {doc["kind"] for doc in docs}
    assert config(docs)["REAPER_STATE_URL"].startswith("postgresql://")


def test_a_postgresql_url_in_the_charts_own_secret_allows_replicas() -> None:
    """secret.stateUrl on PostgreSQL counts as shared state, whatever stateUrl says."""
    docs = documents(
        "defaults",
        "replicaCount=3",
        "persistence.enabled=false",
        "secret.stateUrl=postgresql://reaper:pw@db/reaper",
    )
    assert one(docs, "Deployment")["spec"]["replicas"] == 3


@pytest.mark.parametrize(
    ("sets", "complaint"),
    [
        (["replicaCount=2"], "replicaCount > 1 needs the state in PostgreSQL"),
        (
            ["replicaCount=2", "existingSecret=mine", "secret.stateUrl=postgresql://u:p@db/r"],
            "replicaCount > 1 needs the state in PostgreSQL",  # that Secret is not used
        ),
        (
            ["replicaCount=2", "stateUrl=postgresql://reaper@db/reaper"],
            "set persistence.enabled=false",
        ),
        (
            ["replicaCount=2", "mode=cronjob", "stateUrl=postgresql://reaper@db/reaper"],
            "replicaCount > 1 is for mode: deployment",
        ),
    ],
)
def test_more_than_one_replica_is_refused_unless_the_state_is_shared(
    sets: list[str], complaint: str
) -> None:
    """Rendering fails, saying why, for replicas on SQLite, on a shared volume or as a CronJob."""
    args = [arg for one_set in sets for arg in ("--set", one_set)]
    result = run_helm("template", "reaper", str(CHART), "--kube-version", "1.33.0", *args)
    assert result.returncode != 0
    assert complaint in result.stderr


@pytest.mark.parametrize(
    ("setting", "complaint"),
    [
        ("inactiveDays=soon", "inactiveDays: Invalid type"),
        ("dryRun=maybe", "dryRun: Invalid type"),
        ("mode=daemonset", "mode: mode must be one of"),
        ("replicaCount=0", "replicaCount: Must be greater than or equal to 1"),
        ("github.organisations={acme}", "Additional property organisations is not allowed"),
    ],
)
def test_the_schema_rejects_wrong_values(setting: str, complaint: str) -> None:
    """values.schema.json makes helm refuse a wrong type, a wrong choice and an unknown key."""
    result = run_helm(
        "template", "reaper", str(CHART), "--kube-version", "1.33.0", "--set", setting
    )
    assert result.returncode != 0
    assert complaint in result.stderr


def test_the_schema_knows_exactly_the_top_level_values() -> None:
    """values.yaml and values.schema.json name the same top-level keys."""
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    schema = json.loads((CHART / "values.schema.json").read_text())
    assert schema["additionalProperties"] is False
    assert set(values) == set(schema["properties"]) - {"global"}


OPAQUE_VALUES = {
    "podSecurityContext",
    "securityContext",
    "resources",
    "livenessProbe",
    "readinessProbe",
}  # Kubernetes objects passed through whole: listed as one value each


def leaf_paths(node: Any, prefix: str = "") -> list[str]:
    if isinstance(node, dict) and node and prefix not in OPAQUE_VALUES:
        return [p for k, v in node.items() for p in leaf_paths(v, f"{prefix}.{k}".lstrip("."))]
    return [prefix]


def test_the_chart_readme_lists_every_value() -> None:
    """Every value in values.yaml appears, in backticks, in the chart's README."""
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    readme = (CHART / "README.md").read_text()
    missing = [path for path in leaf_paths(values) if f"`{path}`" not in readme]
    assert not missing, f"values missing from helm/copilot-seat-reaper/README.md: {missing}"


@pytest.fixture
def notes(tmp_path: Path) -> Callable[..., str]:
    """Render NOTES.txt for given helm arguments (helm template leaves NOTES out)."""
    chart = tmp_path / "chart"
    shutil.copytree(CHART, chart)
    (chart / "templates/NOTES.txt").rename(chart / "notes.txt")
    (chart / "templates/notes-as-text.yaml").write_text(
        'notes: {{ tpl (.Files.Get "notes.txt") . | toJson }}\n'
    )

    def render(*args: str) -> str:
        result = run_helm(
            "template",
            "reaper",
            str(chart),
            "--kube-version",
            "1.33.0",
            "--show-only",
            "templates/notes-as-text.yaml",
            *args,
            home=tmp_path / "helm",
        )
        assert result.returncode == 0, result.stderr
        return str(yaml.safe_load(result.stdout)["notes"])

    return render


def test_notes_say_plainly_whether_the_release_is_a_dry_run(notes: Callable[..., str]) -> None:
    """NOTES.txt opens with DRY RUN by default and with LIVE when dryRun is false."""
    default = notes("-f", str(VALUE_SETS["minimal"]))
    live = notes("-f", str(VALUE_SETS["live"]))
    assert default.startswith("DRY RUN: copilot-seat-reaper will NOT cancel any seat.")
    assert live.startswith("LIVE: copilot-seat-reaper WILL CANCEL Copilot seats.")
    assert "cycle.completed" in default
    assert "NONE SET" in notes()  # the defaults name no org
    assert "NONE SET" not in default


def test_notes_say_that_standby_replicas_skip_the_slots_they_do_not_lead(
    notes: Callable[..., str],
) -> None:
    """With replicas, NOTES.txt explains the lock instead of warning about lost state."""
    standby = notes("-f", str(VALUE_SETS["replicas"]))
    assert "2 pods share the PostgreSQL state" in standby
    assert "WARNING: persistence is disabled" not in standby
    assert "pods share" not in notes()
