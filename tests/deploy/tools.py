"""Find the deployment tools the chart tests need; a missing one fails, never skips.

``scripts/install-deploy-tools.sh`` installs them under ``.tools/`` (Helm 4 and kubectl
from the npm registry, the validators and linters from PyPI); ``HELM``, ``KUBECTL``,
``KUBERNETES_VALIDATE``, ``ACTIONLINT`` and ``HADOLINT`` (paths) override where they are
looked for.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "copilot-seat-reaper"
INSTALL_HINT = "run scripts/install-deploy-tools.sh --no-podman (or set {var})"
HELM_MAJOR = 4


def find_tool(var: str, *candidates: Path, command: str) -> str:
    """Return the path of a tool: ``$var``, then ``candidates``, then ``PATH``; else fail."""
    if os.environ.get(var):
        return os.environ[var]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(command)
    if found:
        return found
    pytest.fail(f"{command} not found: {INSTALL_HINT.format(var=var)}", pytrace=False)


@cache
def helm() -> str:
    """Path of a Helm 4 binary (an older Helm fails the tests: the chart is checked on 4)."""
    path = find_tool("HELM", ROOT / ".tools/helm4/helm", command="helm")
    version = subprocess.run(
        [path, "version", "--short"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    if not version.startswith(f"v{HELM_MAJOR}."):
        pytest.fail(f"{path} is Helm {version.strip()}, not {HELM_MAJOR}.x", pytrace=False)
    return path


def kubectl() -> str:
    """Path of the kubectl binary (client-side dry runs only)."""
    return find_tool("KUBECTL", ROOT / ".tools/helm4/kubectl", command="kubectl")


def kubernetes_validate() -> str:
    """Path of the kubernetes-validate command."""
    return find_tool(
        "KUBERNETES_VALIDATE",
        ROOT / ".tools/deploy/bin/kubernetes-validate",
        command="kubernetes-validate",
    )


def actionlint() -> str:
    """Path of the actionlint binary."""
    return find_tool("ACTIONLINT", ROOT / ".tools/deploy/bin/actionlint", command="actionlint")


def hadolint() -> str:
    """Path of the hadolint binary."""
    return find_tool("HADOLINT", ROOT / ".tools/deploy/bin/hadolint", command="hadolint")


@cache
def newest_validated_kubernetes() -> str:
    """The newest Kubernetes version whose schemas kubernetes-validate bundles."""
    usage = subprocess.run(
        [kubernetes_validate(), "--help"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    found = re.search(r"Defaults to (\d+\.\d+\.\d+)", " ".join(usage.split()))
    assert found, f"kubernetes-validate --help names no default version:\n{usage}"
    return found.group(1)


def helm_env(home: Path) -> dict[str, str]:
    """The environment for helm: its cache, config and data under ``home``."""
    scratch = str(home)
    return {
        **os.environ,
        "HELM_CACHE_HOME": scratch,
        "HELM_CONFIG_HOME": scratch,
        "HELM_DATA_HOME": scratch,
    }


def run_helm(*args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run helm with its state under ``.tools/helm-home`` (or ``home``)."""
    env = helm_env(home or ROOT / ".tools/helm-home")
    return subprocess.run(
        [helm(), *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )
