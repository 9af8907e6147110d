"""The release path: one version everywhere, the release workflow, the image's build inputs.

The workflow cannot run here (no registry, no runner): it is linted with actionlint (and
shellcheck for its scripts) and read for what it must do.
"""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import yaml

import reaper
from tests.deploy.tools import CHART, ROOT, actionlint, find_tool, hadolint

WORKFLOWS = ROOT / ".github/workflows"
RELEASE = WORKFLOWS / "release.yml"


def shellcheck() -> str:
    return find_tool("SHELLCHECK", ROOT / ".tools/deploy/bin/shellcheck", command="shellcheck")


def release_workflow() -> dict[Any, Any]:
    return dict(yaml.safe_load(RELEASE.read_text()))


def steps(job: str) -> list[dict[str, Any]]:
    return list(release_workflow()["jobs"][job]["steps"])


def runs(job: str) -> str:
    return "\n".join(step.get("run", "") for step in steps(job))


def uses(job: str) -> dict[str, dict[str, Any]]:
    return {
        step["uses"].split("@")[0]: step.get("with", {}) for step in steps(job) if "uses" in step
    }


def test_the_workflows_pass_actionlint_with_shellcheck() -> None:
    """The workflows pass actionlint, with shellcheck checking each run: script."""
    files = sorted(str(path) for path in WORKFLOWS.glob("*.y*ml"))
    assert str(RELEASE) in files
    path = os.pathsep.join([str(Path(shellcheck()).parent), os.environ.get("PATH", "")])
    result = subprocess.run(
        [actionlint(), "-color=false", *files],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PATH": path},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_project_shell_scripts_pass_shellcheck() -> None:
    """CI's entry point and the deployment scripts pass shellcheck."""
    scripts = [ROOT / ".ci/run", *sorted((ROOT / "scripts").glob("*.sh"))]
    result = subprocess.run(
        [shellcheck(), *map(str, scripts)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_release_is_a_version_tag_that_runs_the_checks_first() -> None:
    """On a tag vX.Y.Z that equals the package version, `make check` runs before anything."""
    workflow = release_workflow()
    assert workflow[True] == {"push": {"tags": ["v*.*.*"]}}  # YAML reads `on` as true
    assert workflow["permissions"] == {"contents": "read"}
    assert "make check" in runs("check")
    assert "make -s version" in runs("check")
    assert workflow["jobs"]["image"]["needs"] == "check"
    assert workflow["jobs"]["chart"]["needs"] == "image"


def test_the_image_is_multi_arch_with_sbom_provenance_and_a_keyless_signature() -> None:
    """amd64 and arm64 to ghcr.io/<repository>, SBOM, provenance, labels, cosign, attestation."""
    build = uses("image")["docker/build-push-action"]
    assert build["platforms"] == "linux/amd64,linux/arm64"
    assert build["push"] is True
    assert build["sbom"] is True
    assert build["provenance"] == "mode=max"
    for arg in ("VERSION", "REVISION", "CREATED", "SOURCE"):
        assert re.search(rf"^{arg}=\$\{{\{{", build["build-args"], re.MULTILINE), arg
    assert "ghcr.io/${GITHUB_REPOSITORY,,}" in runs("image")
    assert 'cosign sign --yes "${IMAGE}"' in runs("image")
    assert uses("image")["actions/attest-build-provenance"]["push-to-registry"] is True
    permissions = release_workflow()["jobs"]["image"]["permissions"]
    assert permissions["id-token"] == "write"  # keyless signing
    assert permissions["packages"] == "write"


def test_the_chart_is_published_as_an_oci_artifact_of_the_same_version() -> None:
    """The chart is packaged at the tag's version, pointed at the image, pushed and signed."""
    script = runs("chart")
    assert '--version "${version}" --app-version "${version}"' in script
    assert 'helm push "dist/copilot-seat-reaper-${version}.tgz" "oci://${charts}"' in script
    assert 'cosign sign --yes "${charts}/copilot-seat-reaper@${digest}"' in script
    assert "scripts/install-deploy-tools.sh --no-podman" in script  # the checks' Helm 4
    # The workflow's sed rewrites exactly this one line of values.yaml.
    values = (CHART / "values.yaml").read_text()
    assert values.count('\n  repository: ""\n') == 1
    assert yaml.safe_load(values)["image"]["repository"] == ""


def test_package_image_and_chart_have_one_version() -> None:
    """The package reads reaper/__init__.py; Chart.yaml and `make version` say the same."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"]
    assert project["project"]["dynamic"] == ["version"]
    assert project["tool"]["hatch"]["version"]["path"] == "reaper/__init__.py"
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["version"] == chart["appVersion"] == reaper.__version__
    made = subprocess.run(
        ["make", "--no-print-directory", "-s", "version"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert made.stdout.strip() == reaper.__version__


def test_make_image_fills_the_labels_and_keeps_the_health_check_with_podman() -> None:
    """`make image` passes version, revision, time and source; podman gets --format docker."""
    made = subprocess.run(
        # --no-print-directory: under `make check` this make is a sub-make, which would
        # otherwise print "Entering directory" around the command.
        [
            "make",
            "--no-print-directory",
            "-n",
            "image",
            "CONTAINER=podman",
            "SOURCE=https://example.com/r",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    command = " ".join(made.replace("\\\n", " ").split())
    assert command.startswith("podman build --format docker ")
    assert f"--build-arg VERSION={reaper.__version__} " in command
    assert re.search(r"--build-arg REVISION=[0-9a-f]{40} ", command)
    assert re.search(r"--build-arg CREATED=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ", command)
    assert "--build-arg SOURCE=https://example.com/r " in command
    docker = subprocess.run(
        ["make", "-n", "image", "CONTAINER=docker"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--format" not in docker


def test_the_dockerfile_labels_come_from_build_arguments_and_pass_hadolint() -> None:
    """No label is hard-wired to "unknown"; the version label is checked against the package."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "unknown" not in dockerfile
    for arg, label in (
        ("VERSION", "version"),
        ("REVISION", "revision"),
        ("CREATED", "created"),
        ("SOURCE", "source"),
    ):
        assert f'org.opencontainers.image.{label}="${{{arg}}}"' in dockerfile
    assert '[ "$built" = "reaper $VERSION" ]' in dockerfile
    result = subprocess.run(
        [hadolint(), "Dockerfile"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_local_secrets_files_are_git_ignored() -> None:
    """reaper.env and other local env or values files with tokens are ignored; the template not."""
    ignored = ["reaper.env", "prod.env", ".env", ".env.local", "helm/prod.local.yaml", "secrets/x"]
    kept = ["config/reaper.env.example", "helm/examples/minimal-values.yaml"]
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", "--stdin"],
        input="\n".join(ignored + kept),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.split() == ignored


def test_the_license_file_is_the_mit_license_the_package_declares() -> None:
    """LICENSE holds the MIT licence text, as pyproject and the image label say."""
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    assert 'org.opencontainers.image.licenses="MIT"' in (ROOT / "Dockerfile").read_text()
