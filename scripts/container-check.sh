#!/usr/bin/env bash
# The container check: lint the Dockerfile, build the image with podman as the README says
# (`make image`, --format docker), and run it for real against the project's GitHub/Slack
# simulator on the host's loopback:
#   0. the labels carry the version, commit and build time; the build stage is pruned;
#      `reaper demo` runs token-free;
#   1. `reaper once` with the README's env file (from config/reaper.env.example), a read-only
#      root filesystem and a /data volume: exit 0, a cycle completed, a report in "Slack";
#   2. the same under an arbitrary UID in group 0 (OpenShift) and under a supplementary group
#      owning /data (Kubernetes fsGroup); a /data the user cannot write is named in one line;
#   3. `reaper run` detached: /healthz, /readyz and /metrics answer from inside the container,
#      the image's HEALTHCHECK passes, it runs as UID 10001, and SIGTERM stops it with exit 0.
# Installs what it needs (scripts/install-deploy-tools.sh); a missing tool fails the check.
# Runs as root (podman here). Env: IMAGE (tag to build), BASE_IMAGE (default: a debootstrap
# image built once and cached), KEEP_IMAGE=1 to keep the built image.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
step() { printf '\n== container-check [%3ss] %s\n' "$((SECONDS - started))" "$*"; }
fail() { printf 'container-check: FAILED: %s\n' "$*" >&2; exit 1; }

IMAGE="${IMAGE:-localhost/copilot-seat-reaper:check}"
BASE_IMAGE="${BASE_IMAGE:-localhost/debian-python:bookworm}"
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
STAGE_LABEL="io.copilot-seat-reaper.stage=build"
work="$(mktemp -d /tmp/reaper-container-check.XXXXXX)"
name="reaper-check-$$"
volume="reaper-check-$$"
volumes=("$volume" "$volume-openshift" "$volume-foreign")
sim_pid=""

cleanup() {
  set +e
  podman rm --force --time 5 "$name" >/dev/null 2>&1
  for v in "${volumes[@]}"; do podman volume rm --force "$v" >/dev/null 2>&1; done
  if [[ -n "$sim_pid" ]]; then kill "$sim_pid" 2>/dev/null; wait "$sim_pid" 2>/dev/null; fi
  [[ "${KEEP_IMAGE:-0}" == 1 ]] || podman rmi --force "$IMAGE" >/dev/null 2>&1
  podman image prune --force --filter "label=$STAGE_LABEL" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

step "tools"
scripts/install-deploy-tools.sh
export CONTAINERS_CONF="$PWD/.tools/containers/containers.conf"
[[ -x .venv/bin/python ]] || make setup
for tool in podman debootstrap; do command -v "$tool" >/dev/null || fail "$tool missing"; done

step "hadolint Dockerfile"
.tools/deploy/bin/hadolint Dockerfile && echo "hadolint: clean"

step "base image $BASE_IMAGE"
BASE_IMAGE="$BASE_IMAGE" scripts/make-base-image.sh

step "build $IMAGE (make image)"
build_started=$SECONDS
revision="$(git rev-parse HEAD)"  # taken once: the tree may get commits while this runs
# `make image` as the README says: podman gets --format docker, which keeps the HEALTHCHECK
# (OCI images have none), and the labels their build arguments. The CA bundle is mounted so
# package downloads through a TLS-inspecting proxy work; host network for the registries.
make -s image CONTAINER=podman IMAGE="$IMAGE" BASE_IMAGE="$BASE_IMAGE" REVISION="$revision" \
  BUILD_FLAGS="--quiet --network host -v $CA_BUNDLE:$CA_BUNDLE:ro" >/dev/null
echo "built in $((SECONDS - build_started))s, $(podman image inspect "$IMAGE" --format '{{.Size}}' | awk '{printf "%.0f MB", $1 / 1e6}')"
# The build stage's image is left behind untagged: prune it (and only it).
podman image prune --force --filter "label=$STAGE_LABEL" >/dev/null
[[ -z "$(podman images --all --quiet --filter "label=$STAGE_LABEL")" ]] ||
  fail "the build stage's image is still there"
[[ "$(podman image inspect "$IMAGE" --format '{{.Config.User}}')" == "10001:10001" ]] ||
  fail "image does not run as 10001:10001"
podman image inspect "$IMAGE" --format '{{.Config.Healthcheck}}' | grep -q 'reaper.service.web' ||
  fail "the image lost its HEALTHCHECK"
label() { podman image inspect "$IMAGE" --format "{{index .Config.Labels \"org.opencontainers.image.$1\"}}"; }
[[ "$(label title)" == copilot-seat-reaper ]] || fail "OCI labels missing"
[[ "$(label version)" == "$(make -s version)" ]] || fail "version label $(label version)"
[[ "$(label revision)" == "$revision" ]] || fail "revision label $(label revision)"
[[ "$(label created)" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T ]] || fail "created label $(label created)"
echo "labels: version $(label version), revision $(label revision), created $(label created)"

step "reaper demo, token-free"
timeout 120 podman run --rm --read-only --tmpfs /tmp "$IMAGE" demo >"$work/demo.log" 2>&1 ||
  { tail -20 "$work/demo.log"; fail "reaper demo failed"; }
grep -q "^Done: " "$work/demo.log" || fail "reaper demo did not finish"
grep "^Done: " "$work/demo.log"

step "simulator on 127.0.0.1"
.venv/bin/python scripts/run_simulator.py --seats 40 >"$work/sim.out" 2>"$work/sim.err" &
sim_pid=$!
for _ in $(seq 100); do [[ -s "$work/sim.out" ]] && break; sleep 0.1; done
[[ -s "$work/sim.out" ]] || { cat "$work/sim.err"; fail "simulator did not start"; }
sim() { head -n1 "$work/sim.out" | python3 -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }

# The env file as the README builds it: config/reaper.env.example with the required values
# filled in, plus the simulator's addresses instead of GitHub's and Slack's.
grep -vE '^REAPER_GITHUB_(TOKEN|ORGS)=' config/reaper.env.example >"$work/reaper.env"
cat >>"$work/reaper.env" <<EOF
REAPER_GITHUB_TOKEN=$(sim token)
REAPER_GITHUB_ORGS=$(sim org)
REAPER_GITHUB_API_URL=$(sim github_url)
REAPER_SLACK_WEBHOOK_URL=$(sim slack_webhook_url)
REAPER_GITHUB_MAX_ATTEMPTS=2
EOF
for v in "${volumes[@]}"; do podman volume create "$v" >/dev/null; done
env_flags=(--network host --read-only --tmpfs "/tmp:rw,size=64m" --env-file "$work/reaper.env")
run_flags=("${env_flags[@]}" -v "$volume:/data")

step "reaper once (read-only root, /data volume)"
rc=0
timeout 120 podman run --rm --no-healthcheck "${run_flags[@]}" -e REAPER_DRY_RUN=false "$IMAGE" once \
  >"$work/once.log" 2>&1 || rc=$?
tail -n 3 "$work/once.log"
[[ $rc == 0 ]] || fail "reaper once exited $rc"
grep -q '"event": "cycle.completed"' "$work/once.log" || fail "no cycle.completed in the log"
grep -q '"newly_flagged": 10' "$work/once.log" || fail "expected 10 newly flagged seats"
podman run --rm --no-healthcheck -v "$volume:/data" --entrypoint python "$IMAGE" -c \
  "import sqlite3; n = sqlite3.connect('/data/reaper.db').execute('select count(*) from flags').fetchone()[0]; assert n == 10, n" ||
  fail "the flags were not stored on the /data volume"

step "arbitrary UID in group 0 (OpenShift), a supplementary group owning /data (fsGroup)"
podman run --rm --no-healthcheck "${env_flags[@]}" -v "$volume-openshift:/data" \
  --user 1000680000:0 -e REAPER_DRY_RUN=false "$IMAGE" once >"$work/openshift.log" 2>&1 ||
  { tail -5 "$work/openshift.log"; fail "reaper once as uid 1000680000 gid 0 failed"; }
fsgroup_dir="$work/fsgroup-data"
mkdir -p "$fsgroup_dir" && chgrp 5555 "$fsgroup_dir" && chmod 2770 "$fsgroup_dir"
podman run --rm --no-healthcheck "${env_flags[@]}" -v "$fsgroup_dir:/data" \
  --user 7777:7777 --group-add 5555 -e REAPER_DRY_RUN=false "$IMAGE" once >"$work/fsgroup.log" 2>&1 ||
  { tail -5 "$work/fsgroup.log"; fail "reaper once as uid 7777 with group 5555 owning /data failed"; }
[[ -s "$fsgroup_dir/reaper.db" ]] || fail "no database in the group-owned /data"
echo "ok: uid 1000680000 gid 0 on a fresh volume; uid 7777 with supplementary group 5555"

step "a /data the user cannot write is named in one line"
# The image's /data is 10001:0, mode 775: uid 4242 gid 4242 may not write it.
problem="$(podman run --rm --no-healthcheck -v "$volume-foreign:/data" --user 4242:4242 \
  --entrypoint python "$IMAGE" -c \
  "from reaper.datadir import state_dir_problem as p; print(p('sqlite:////data/reaper.db'))")"
echo "$problem"
[[ "$problem" == *"refuses uid 4242 gid 4242"*"fsGroup"* ]] || fail "no one-line explanation"
rc=0
podman run --rm --no-healthcheck "${env_flags[@]}" -v "$volume-foreign:/data" --user 4242:4242 \
  "$IMAGE" once >"$work/foreign.log" 2>&1 || rc=$?
[[ $rc == 2 ]] || fail "reaper once without a writable /data exits $rc, not 2"
grep -q '^reaper: cannot write the state at /data/reaper.db' "$work/foreign.log" ||
  { cat "$work/foreign.log"; fail "reaper once does not say which path it cannot write"; }
echo "reaper once exits $rc: $(grep -m1 '^reaper: ' "$work/foreign.log" | cut -c1-300)"

step "reaper run (detached): /healthz, /readyz, /metrics from inside the container"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# Without systemd podman cannot schedule the HEALTHCHECK (it says so on stderr, kept in
# run.err); the check runs it by hand below with `podman healthcheck run`.
podman run -d --name "$name" "${run_flags[@]}" \
  -e REAPER_HTTP_PORT="$port" -e REAPER_RUN_ON_START=true -e REAPER_SCHEDULE="0 0 1 1 *" \
  "$IMAGE" >/dev/null 2>"$work/run.err" || { cat "$work/run.err"; fail "podman run -d"; }
fetch() {  # GET a path inside the container (the image has python, not curl)
  podman exec "$name" python -c "import sys, urllib.request
with urllib.request.urlopen('http://127.0.0.1:$port' + sys.argv[1], timeout=5) as r:
    sys.stdout.write(r.read().decode())" "$1"
}
ok=""
for _ in $(seq 150); do
  if fetch /metrics 2>/dev/null | grep -q '^reaper_cycles_total{outcome="ok"} 1.0'; then ok=1; break; fi
  [[ "$(podman inspect "$name" --format '{{.State.Running}}')" == true ]] || break
  sleep 0.2
done
[[ -n "$ok" ]] || { podman logs "$name" | tail -20; fail "no successful cycle in /metrics"; }
[[ "$(fetch /healthz)" == ok ]] || fail "/healthz did not answer ok"
[[ "$(fetch /readyz)" == ok ]] || fail "/readyz did not answer ok"
fetch /metrics >"$work/metrics.txt"
grep -E '^reaper_(seats|cycles_total|last_cycle_outcome|github_rate_limit|dry_run)' "$work/metrics.txt"
grep -q '^reaper_seats{org="acme",status="flagged"} 10.0' "$work/metrics.txt" || fail "seat gauges"
podman healthcheck run "$name" || fail "the image's HEALTHCHECK failed"
[[ "$(podman exec "$name" id -u)" == 10001 ]] || fail "not running as UID 10001"
podman exec "$name" touch /probe 2>/dev/null && fail "the root filesystem is writable"

step "SIGTERM stops reaper run with exit 0"
podman stop --time 30 "$name" >/dev/null 2>>"$work/run.err"
code="$(podman inspect "$name" --format '{{.State.ExitCode}}')"
[[ "$code" == 0 ]] || fail "reaper run exited $code after SIGTERM"
podman logs "$name" 2>&1 | grep -q '"event": "service.stopped"' || fail "no service.stopped"

kill "$sim_pid"; wait "$sim_pid" || true; sim_pid=""
tail -n1 "$work/sim.out"
grep -q '"slack_messages": [1-9]' <(tail -n1 "$work/sim.out") || fail "no report reached Slack"

step "passed in $((SECONDS - started))s"
