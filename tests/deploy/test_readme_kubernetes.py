"""The README's Kubernetes sequences run, everything short of a cluster and a registry.

The fenced blocks are extracted from README.md and run by bash as they are, with stand-ins on
PATH: ``make image`` prints the build it would run (``make -n``), ``docker push`` is skipped,
``kubectl`` runs for real with ``--dry-run=client -o yaml`` (``rollout`` is recorded), and
``helm install`` runs for real as ``helm install --dry-run=client`` and ``helm template``.
The published chart is made as the release workflow makes it, from the workflow's own step.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

import yaml

import reaper
from tests.deploy.tools import ROOT, helm, helm_env, kubectl

if TYPE_CHECKING:
    from pathlib import Path

BUILD_BLOCK = "# Kubernetes: build, push, install\n"
PUBLISHED_BLOCK = "# Kubernetes: the published chart\n"

SHIMS = {
    "make": """
if [ "$1" = image ]; then
  echo "make $*" >>"$CALLS"
  exec "$REAL_MAKE" -n -C "$PROJECT" "$@" >>"$WORK/build.txt"
fi
exec "$REAL_MAKE" -C "$PROJECT" "$@"
""",
    "docker": """echo "docker $*" >>"$CALLS"
""",
    "kubectl": """
echo "kubectl $*" >>"$CALLS"
case " $* " in *" rollout "*) exit 0 ;; esac
echo --- >>"$WORK/kubectl.yaml"
exec "$REAL_KUBECTL" "$@" --dry-run=client -o yaml >>"$WORK/kubectl.yaml"
""",
    "helm": """
echo "helm $*" >>"$CALLS"
[ "$1" = install ] || exit 64
shift
"$REAL_HELM" template "$@" >"$WORK/template.yaml"
exec "$REAL_HELM" install "$@" --dry-run=client >"$WORK/install.txt"
""",
}


def readme_block(first_line: str) -> str:
    """The fenced sh block of README.md that starts with ``first_line``."""
    readme = (ROOT / "README.md").read_text()
    start = readme.index("```sh\n" + first_line) + len("```sh\n")
    return readme[start : readme.index("```", start)]


def run_block(block: str, work: Path, cwd: Path = ROOT) -> list[str]:
    """Run a README block with the stand-ins; return the commands they saw."""
    shims = work / "bin"
    shims.mkdir(parents=True)
    for name, body in SHIMS.items():
        (shims / name).write_text("#!/usr/bin/env bash\nset -eu\n" + body.lstrip())
        (shims / name).chmod(0o755)
    env = {
        **helm_env(work / "helm-home"),
        "PATH": f"{shims}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(work),
        "CALLS": str(work / "calls.txt"),
        "WORK": str(work),
        "PROJECT": str(ROOT),
        "REAL_MAKE": shutil.which("make") or "make",
        "REAL_KUBECTL": kubectl(),
        "REAL_HELM": helm(),
    }
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"the README's commands failed:\n{result.stderr}"
    return (work / "calls.txt").read_text().splitlines()


def manifests(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def installed(work: Path) -> tuple[list[dict[str, Any]], str]:
    """The manifests and NOTES of the README's `helm install`, as a client dry run made them."""
    output = (work / "install.txt").read_text()
    manifest, notes = output.split("\nMANIFEST:\n", 1)[1].split("\nNOTES:\n", 1)
    return manifests(manifest), notes


def test_the_build_push_install_sequence_renders_a_release_of_the_pushed_image(
    tmp_path: Path,
) -> None:
    """The README's sequence: one image reference and one namespace from build to rollout."""
    calls = run_block(readme_block(BUILD_BLOCK), tmp_path)
    version = reaper.__version__
    image = f"registry.example.com/platform/copilot-seat-reaper:{version}"
    assert calls[0] == f"make image IMAGE={image}"
    build = " ".join((tmp_path / "build.txt").read_text().split())
    assert f"--build-arg VERSION={version}" in build
    assert f"-t {image} ." in build
    assert calls[1] == f"docker push {image}"

    namespace, secret = manifests((tmp_path / "kubectl.yaml").read_text())
    assert namespace["kind"] == "Namespace"
    assert secret["kind"] == "Secret"
    assert secret["metadata"]["namespace"] == namespace["metadata"]["name"]
    assert {"REAPER_GITHUB_TOKEN", "REAPER_SLACK_WEBHOOK_URL"} <= set(secret["data"])

    docs, notes = installed(tmp_path)
    ns = namespace["metadata"]["name"]
    helm_call = next(call for call in calls if call.startswith("helm install"))
    assert f" -n {ns} " in f"{helm_call} "
    (deployment,) = [doc for doc in docs if doc["kind"] == "Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    assert pod["containers"][0]["image"] == image  # what was pushed is what the pod pulls
    env = pod["containers"][0]["env"]
    assert {e["valueFrom"]["secretKeyRef"]["name"] for e in env} == {secret["metadata"]["name"]}
    assert not [doc for doc in docs if doc["kind"] == "Secret"]  # the token stays in its Secret
    assert calls[-1] == f"kubectl -n {ns} rollout status deploy/{deployment['metadata']['name']}"
    for call in calls[2:]:
        assert f"-n {ns}" in call or call == f"kubectl create namespace {ns}", call
    assert notes.startswith("DRY RUN: ")
    assert f"kubectl -n {ns} logs deploy/{deployment['metadata']['name']}" in notes
    assert manifests((tmp_path / "template.yaml").read_text()) == docs


def test_the_published_chart_command_installs_the_published_image(tmp_path: Path) -> None:
    """The release workflow's chart, installed with the README's one command, runs its image."""
    workflow = yaml.safe_load((ROOT / ".github/workflows/release.yml").read_text())
    (step,) = [
        s for s in workflow["jobs"]["chart"]["steps"] if s.get("name", "").startswith("Point")
    ]
    repo = tmp_path / "repository"
    shutil.copytree(ROOT / "helm", repo / "helm")
    (repo / ".tools").symlink_to(ROOT / ".tools")
    version = reaper.__version__
    published = "ghcr.io/example-owner/copilot-seat-reaper"
    subprocess.run(
        ["bash", "-euo", "pipefail", "-c", step["run"]],
        cwd=repo,
        env={
            **helm_env(tmp_path / "helm-home"),
            "IMAGE": published,
            "GITHUB_REF_NAME": f"v{version}",
        },
        check=True,
        capture_output=True,
        timeout=120,
    )
    package = repo / "dist" / f"copilot-seat-reaper-{version}.tgz"
    assert package.is_file()

    block = readme_block(PUBLISHED_BLOCK)
    chart = "oci://ghcr.io/OWNER/charts/copilot-seat-reaper"
    assert f"{chart} --version {version} " in block, "the README names another version"
    calls = run_block(block.replace(f"{chart} --version {version}", str(package)), tmp_path)
    assert len(calls) == 1
    docs, notes = installed(tmp_path)
    (deployment,) = [doc for doc in docs if doc["kind"] == "Deployment"]
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == (
        f"{published}:{version}"
    )
    assert deployment["metadata"]["labels"]["helm.sh/chart"] == f"copilot-seat-reaper-{version}"
    assert notes.startswith("DRY RUN: ")
    assert "Organisations: my-org" in notes
