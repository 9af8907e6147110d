"""The Helm chart on Helm 4: lint, render every value set, validate, and check its promises.

Needs Helm 4 and kubernetes-validate (``scripts/install-deploy-tools.sh --no-podman``); a
missing tool fails these tests rather than skipping them.
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest
import yaml

from reaper.config.settings import SECRET_FIELDS, Settings
from tests.deploy.chart import (
    FULLNAME,
    VALUE_SETS,
    config,
    documents,
    installed,
    kinds,
    one,
    pod_annotations,
    pod_spec,
    render_failure,
    rendered,
)
from tests.deploy.tools import CHART, ROOT, kubernetes_validate, run_helm

MINIMAL = ("-f", str(VALUE_SETS["minimal"]))
CRDS = {"ServiceMonitor", "PrometheusRule"}  # Prometheus Operator kinds: checked by other tests


def test_lint_strict_passes_for_every_value_set() -> None:
    """`helm lint --strict` (Helm 4) passes with each value set."""
    for name, values in VALUE_SETS.items():
        result = run_helm("lint", "--strict", str(CHART), "-f", str(values))
        assert result.returncode == 0, f"{name}: {result.stdout}{result.stderr}"
        assert "0 chart(s) failed" in result.stdout


@pytest.mark.parametrize("kube", ["oldest", "newest"])
@pytest.mark.parametrize("value_set", list(VALUE_SETS))
def test_rendered_manifests_validate_strictly(value_set: str, kube: str) -> None:
    """Every manifest passes kubernetes-validate --strict on the chart's oldest and newest."""
    from tests.deploy.chart import kube_version  # noqa: PLC0415

    version = kube_version(kube)
    result = subprocess.run(
        [kubernetes_validate(), "--strict", "-k", version, "-"],
        input=rendered(value_set, kube),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    workload = "cronjob" if value_set == "cronjob" else "deployment"
    assert f"passed for resource {workload}/{FULLNAME}" in result.stdout
    assert f"configmap/{FULLNAME}" in result.stdout
    assert set(re.findall(r"Couldn't find schema for kind (\w+)", result.stdout)) <= CRDS


@pytest.mark.parametrize("value_set", list(VALUE_SETS))
def test_install_dry_run_renders_the_release_and_its_notes(value_set: str) -> None:
    """`helm install --dry-run=client` renders every value set, NOTES.txt included."""
    docs, notes = installed(value_set)
    assert "ConfigMap" in kinds(docs)
    assert notes.startswith(("DRY RUN: ", "LIVE: "))


def test_every_optional_part_renders_in_the_everything_set() -> None:
    """The "everything" set turns on every optional resource of the chart at once."""
    docs = documents("everything")
    assert kinds(docs) == {
        "ServiceAccount", "Secret", "ConfigMap", "PersistentVolumeClaim", "Service",
        "Deployment", "ServiceMonitor", "PrometheusRule",
    }  # fmt: skip
    names = {doc["metadata"]["name"] for doc in docs if doc["kind"] == "ConfigMap"}
    assert names == {FULLNAME, f"{FULLNAME}-user-map", f"{FULLNAME}-dashboard"}
    assert not CRDS & kinds(documents("minimal"))
    assert not CRDS & kinds(documents("cronjob", "metrics.prometheusRule.enabled=true"))


@pytest.mark.parametrize("value_set", ["minimal", "cronjob", "live"])
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


def test_openshift_values_leave_the_user_to_the_platform() -> None:
    """With the OpenShift values the pod names no UID, GID or fsGroup and stays non-root."""
    spec = pod_spec(documents("openshift"))
    pod, ctx = spec["securityContext"], spec["containers"][0]["securityContext"]
    assert not {"runAsUser", "runAsGroup", "fsGroup", "fsGroupChangePolicy"} & set(pod)
    assert not {"runAsUser", "runAsGroup"} & set(ctx)
    assert pod["runAsNonRoot"] is ctx["runAsNonRoot"] is True
    assert ctx["readOnlyRootFilesystem"] is True
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "chmod g=u /data" in dockerfile, "the image's /data must be writable by group 0"


def test_deployment_runs_reaper_run_alone_with_probes() -> None:
    """Deployment mode: one replica, Recreate, `run`, probes on /healthz and /readyz, a PVC."""
    docs = documents("minimal")
    deployment = one(docs, "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    (container,) = pod_spec(docs)["containers"]
    assert container["args"] == ["run"]
    assert container["image"] == "registry.example.com/platform/copilot-seat-reaper:0.1.0"
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["ports"][0]["containerPort"] == int(config(docs)["REAPER_HTTP_PORT"])
    claim = one(docs, "PersistentVolumeClaim")
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert config(docs)["REAPER_STATE_URL"] == "sqlite:////data/reaper.db"
    assert {"Service", "Secret", "ServiceAccount"} <= kinds(docs)


def test_cronjob_mode_runs_reaper_once_on_the_schedule() -> None:
    """Cronjob mode: a CronJob running `once` on `schedule`, Forbid, and no Deployment."""
    docs = documents("cronjob")
    cronjob = one(docs, "CronJob")
    assert cronjob["spec"]["schedule"] == config(docs)["REAPER_SCHEDULE"] == "30 6 * * *"
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    spec = pod_spec(docs)
    assert spec["containers"][0]["args"] == ["once"]
    assert spec["restartPolicy"] == "Never"
    assert not {"Deployment", "Service"} & kinds(docs)


def test_dry_run_is_the_chart_default_too() -> None:
    """REAPER_DRY_RUN is "true" unless dryRun is false."""
    assert config(documents("minimal"))["REAPER_DRY_RUN"] == "true"
    assert config(documents("everything"))["REAPER_DRY_RUN"] == "true"
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
    assert "Secret" not in kinds(docs)
    env = pod_spec(docs)["containers"][0]["env"]
    assert {e["valueFrom"]["secretKeyRef"]["name"] for e in env} == {"reaper-tokens"}
    assert "checksum/secret" not in pod_annotations(docs)


def test_a_changed_setting_secret_or_user_map_restarts_the_pod() -> None:
    """Checksums of the ConfigMap, the chart's Secret and the user map roll the pod on change."""

    def annotations(*sets: str) -> dict[str, str]:
        return pod_annotations(documents("everything", *sets))

    before = annotations()
    assert annotations("inactiveDays=30")["checksum/config"] != before["checksum/config"]
    assert (
        annotations("secret.githubToken=ghp_rotated")["checksum/secret"]
        != (before["checksum/secret"])
    )
    assert (
        annotations("userMap.users.carol=carol@example.com")["checksum/user-map"]
        != (before["checksum/user-map"])
    )
    assert annotations("image.tag=9.9.9") == before  # only settings, tokens and the map count


def chart_settings(docs: list[dict[str, Any]]) -> set[str]:
    """Every REAPER_* the pod gets: the ConfigMap's keys and the Secret's env names."""
    env = {e["name"] for e in pod_spec(docs)["containers"][0]["env"]}
    return set(config(docs)) | env


def test_every_setting_of_the_reaper_is_a_chart_value() -> None:
    """With every part on, the pod gets each setting; the message names a setting without one."""
    docs = documents("everything")
    fields = {f"REAPER_{name.upper()}" for name in Settings.model_fields}
    given = chart_settings(docs) - {"REAPER_SECRETS_DIR"}  # extraEnv in this value set
    missing = sorted(fields - given)
    assert not missing, (
        f"settings without a chart value: {', '.join(missing)}; add each to reaper.settings "
        "(or reaper.secretSettings for a secret) in templates/_helpers.tpl, values.yaml, "
        "values.schema.json and the chart README"
    )
    unknown = sorted(given - fields)
    assert not unknown, f"the chart sets variables that are no settings: {', '.join(unknown)}"
    env = {e["name"] for e in pod_spec(docs)["containers"][0]["env"]}
    secrets = {f"REAPER_{name.upper()}" for name in SECRET_FIELDS}
    assert secrets <= env, f"secrets not read from the Secret: {sorted(secrets - env)}"
    assert not secrets & set(config(docs)), "a secret in the ConfigMap"


@pytest.mark.parametrize("value_set", ["minimal", "everything", "live", "enterprise"])
def test_the_reapers_own_settings_accept_what_the_chart_renders(
    value_set: str, tmp_path: Any
) -> None:
    """The ConfigMap (with a token, and the user map file in place) loads as real Settings."""
    docs = documents(value_set)
    env = dict(config(docs))
    if "REAPER_USER_MAP_FILE" in env:
        user_map = tmp_path / env["REAPER_USER_MAP_FILE"].rsplit("/", 1)[1]
        maps = [
            d
            for d in docs
            if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-user-map")
        ]
        user_map.write_text(maps[0]["data"]["users.yaml"] if maps else "alice,alice@example.com\n")
        env["REAPER_USER_MAP_FILE"] = str(user_map)
    env.pop("REAPER_SECRETS_DIR", None)
    secret = next((d["stringData"] for d in docs if d["kind"] == "Secret"), {})
    env |= {"REAPER_GITHUB_TOKEN": "ghp_x"} | secret
    settings = Settings(
        **{name.removeprefix("REAPER_").lower(): value for name, value in env.items()}
    )
    assert settings.dry_run is (env["REAPER_DRY_RUN"] == "true")
    assert settings.github_orgs or settings.github_enterprise


def owned_variables() -> list[str]:
    """The REAPER_* names the chart sets itself, read from its settings tables."""
    helpers = (CHART / "templates/_helpers.tpl").read_text()
    names: list[str] = []
    for table in ("reaper.settings", "reaper.secretSettings"):
        body = helpers.split(f'define "{table}"', 1)[1].split("{{- end }}", 1)[0]
        names += re.findall(r"^(REAPER_[A-Z0-9_]+):", body, re.MULTILINE)
    return sorted(set(names))


@pytest.mark.parametrize("variable", owned_variables())
def test_extra_env_may_not_set_a_variable_the_chart_owns(variable: str, tmp_path: Any) -> None:
    """A variable the chart sets, given in extraEnv, fails to render and names the value to use."""
    values = tmp_path / "extra.yaml"
    values.write_text(yaml.safe_dump({"extraEnv": {variable: "false"}}))
    complaint = render_failure(*MINIMAL, "-f", str(values))
    assert f"extraEnv.{variable}: the chart sets {variable} from the value `" in complaint
    assert "set that value instead" in complaint


def test_the_dry_run_cannot_be_switched_off_through_extra_env() -> None:
    """The issue's case: extraEnv REAPER_DRY_RUN=false is refused and names `dryRun`."""
    complaint = render_failure(*MINIMAL, "--set-string", "extraEnv.REAPER_DRY_RUN=false")
    assert "the value `dryRun`" in complaint


def test_extra_env_still_takes_a_variable_the_chart_does_not_own() -> None:
    """A REAPER_* the chart does not set (REAPER_SECRETS_DIR) goes through to the ConfigMap."""
    assert config(documents("everything"))["REAPER_SECRETS_DIR"] == "/run/secrets/reaper"


def test_a_release_without_orgs_or_enterprise_fails_to_render() -> None:
    """No github.orgs and no github.enterprise: a clear failure instead of a crash loop."""
    complaint = render_failure(*MINIMAL, "--set", "github.orgs=null")
    assert "nothing to manage: set github.orgs" in complaint
    assert "or github.enterprise" in complaint


def test_a_release_without_a_token_source_fails_to_render() -> None:
    """No existingSecret and no secret.githubToken: a clear failure naming both."""
    complaint = render_failure(*MINIMAL, "--set", "secret.githubToken=")
    assert "no GitHub token: set existingSecret" in complaint
    assert "or secret.githubToken" in complaint


def test_a_release_without_an_image_fails_to_render() -> None:
    """The chart from the repository names no image: it says to build and push one."""
    complaint = render_failure(*MINIMAL, "--set", "image.repository=")
    assert "image.repository is not set: build the image and push it" in complaint


def test_the_defaults_alone_do_not_render() -> None:
    """The bare chart renders nothing that could run: it names what is missing first."""
    assert "nothing to manage" in render_failure()


def test_an_enterprise_without_orgs_renders() -> None:
    """github.enterprise alone is enough; the ConfigMap carries it and an empty org list."""
    data = config(documents("enterprise"))
    assert data["REAPER_GITHUB_ENTERPRISE"] == "acme-enterprise"
    assert data["REAPER_GITHUB_ORGS"] == ""
    assert "REAPER_GITHUB_ENTERPRISE" not in config(documents("minimal"))


def test_the_user_map_is_a_chart_value() -> None:
    """userMap.users becomes a mounted ConfigMap file that REAPER_USER_MAP_FILE names."""
    docs = documents("everything")
    data = one(docs, "ConfigMap", f"{FULLNAME}-user-map")["data"]
    assert yaml.safe_load(data["users.yaml"]) == {
        "alice-gh": "alice@example.com",
        "bob_acme": "bob@example.com",
    }
    spec = pod_spec(docs)
    mount = next(m for m in spec["containers"][0]["volumeMounts"] if m["name"] == "user-map")
    volume = next(v for v in spec["volumes"] if v["name"] == "user-map")
    assert volume["configMap"]["name"] == f"{FULLNAME}-user-map"
    assert config(docs)["REAPER_USER_MAP_FILE"] == f"{mount['mountPath']}/users.yaml"
    assert mount["readOnly"] is True


def test_an_existing_user_map_config_map_is_mounted_instead() -> None:
    """userMap.existingConfigMap is mounted and its key named; the chart makes no map."""
    docs = documents("live")
    volume = next(v for v in pod_spec(docs)["volumes"] if v["name"] == "user-map")
    assert volume["configMap"]["name"] == "reaper-user-map"
    assert config(docs)["REAPER_USER_MAP_FILE"].endswith("/users.csv")
    assert not [d for d in docs if d["metadata"]["name"].endswith("-user-map")]
    assert "REAPER_USER_MAP_FILE" not in config(documents("minimal"))


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
    assert "ServiceMonitor" not in kinds(documents("minimal"))


def test_standby_replicas_on_postgresql_roll_one_pod_at_a_time() -> None:
    """Two replicas on PostgreSQL: two pods, rolled one at a time, no volume claim."""
    docs = documents("replicas")
    deployment = one(docs, "Deployment")
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
    }
    assert "PersistentVolumeClaim" not in kinds(docs)
    assert config(docs)["REAPER_STATE_URL"].startswith("postgresql://")


def test_a_postgresql_url_in_the_charts_own_secret_allows_replicas() -> None:
    """secret.stateUrl on PostgreSQL counts as shared state, whatever stateUrl says."""
    docs = documents(
        "minimal",
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
    assert complaint in render_failure(*MINIMAL, *args)


@pytest.mark.parametrize(
    ("setting", "complaint"),
    [
        ("inactiveDays=soon", "inactiveDays"),
        ("dryRun=maybe", "dryRun"),
        ("mode=daemonset", "mode"),
        ("activity=sometimes", "activity"),
        ("replicaCount=0", "replicaCount"),
        ("github.enterprise=not/a/slug", "enterprise"),
        ("github.organisations={acme}", "organisations"),
        ("userMap.users.alice=not-an-email", "alice"),
    ],
)
def test_the_schema_rejects_wrong_values(setting: str, complaint: str) -> None:
    """values.schema.json makes helm refuse a wrong type, a wrong choice and an unknown key."""
    stderr = render_failure(*MINIMAL, "--set", setting)
    assert "don't meet the specifications of the schema" in stderr
    assert complaint in stderr


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
    "metrics.grafanaDashboard.labels",
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


def notes_of(value_set: str, *sets: str) -> str:
    return installed(value_set, *sets)[1]


@pytest.mark.parametrize("value_set", list(VALUE_SETS))
def test_notes_state_the_mode_from_the_value_that_sets_it(value_set: str) -> None:
    """In one `helm install --dry-run`, NOTES' DRY RUN/LIVE agrees with the ConfigMap's value."""
    docs, notes = installed(value_set)
    dry_run = config(docs)["REAPER_DRY_RUN"]
    expected = "DRY RUN: " if dry_run == "true" else "LIVE: "
    assert notes.startswith(expected), notes[:200]
    assert f"REAPER_DRY_RUN={dry_run}, from dryRun" in notes.splitlines()[0]


def test_notes_say_plainly_whether_the_release_is_a_dry_run() -> None:
    """NOTES.txt opens with DRY RUN by default and with LIVE when dryRun is false."""
    default, live = notes_of("minimal"), notes_of("live")
    assert default.startswith("DRY RUN: copilot-seat-reaper will NOT cancel any seat")
    assert live.startswith("LIVE: copilot-seat-reaper WILL CANCEL Copilot seats")
    assert "Organisations: my-org" in default
    assert "Enterprise: acme-enterprise" in notes_of("enterprise")


def test_notes_list_every_limit_that_bounds_a_live_run() -> None:
    """The live NOTES name each limit with its value and the chart value that sets it."""
    notes = notes_of("live")
    for phrase in (
        "at most 20 seats cancelled (maxCancellations)",
        "at most 2.5% of an org's seats (maxCancellationPercent)",
        "more than 15% of an org's seats or flags vanish at once (maxForgetPercent)",
        "flagged after 45 idle days (inactiveDays)",
        "cancelled 7 days after the warning (graceDays)",
        "stops acting after 1800 seconds (cycleTimeoutSeconds)",
        "2 exempt users, 1 exempt teams",
        "`reaper reinstate` for 60 days",
    ):
        assert phrase in notes, phrase


def test_notes_read_the_report_from_the_log_too() -> None:
    """The "read the last report" command keeps report.logged, the report sent to the log."""
    for value_set in ("minimal", "cronjob"):
        (line,) = [line for line in notes_of(value_set).splitlines() if "grep -E" in line]
        assert "report.logged" in line
        assert "cycle.completed" in line


def test_notes_say_that_standby_replicas_skip_the_slots_they_do_not_lead() -> None:
    """With replicas, NOTES.txt explains the lock instead of warning about lost state."""
    standby = notes_of("replicas")
    assert "2 pods share the PostgreSQL state" in standby
    assert "WARNING: persistence is disabled" not in standby
    assert "pods share" not in notes_of("minimal")


def test_notes_explain_rotating_an_existing_secret() -> None:
    """With existingSecret, NOTES.txt says to restart the pods after changing it."""
    assert "rollout restart deploy/reaper-copilot-seat-reaper" in notes_of("existing-secret")
    assert "rollout restart" not in notes_of("minimal")
