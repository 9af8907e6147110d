#!/usr/bin/env bash
# Build localhost/debian-python:bookworm, a stand-in for python:3.11-slim-bookworm, with
# debootstrap from the Debian mirror (no container registry is reachable from CI machines).
# Skipped when the image already exists. Needs root, podman and debootstrap
# (scripts/install-deploy-tools.sh) and CONTAINERS_CONF pointing at the fixed containers.conf.
set -euo pipefail
IMAGE="${BASE_IMAGE:-localhost/debian-python:bookworm}"
if podman image exists "$IMAGE"; then
  echo "make-base-image: $IMAGE exists, kept"
  exit 0
fi
# The mirror apt already uses (deb822 "URIs:" or one-line "deb URL suite" form).
mirror="$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
  awk '$1 == "URIs:" || $1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:.*\/debian\/?$/) { print $i; exit } }' || true)"
mirror="${mirror:-http://deb.debian.org/debian}"
rootfs="$(mktemp -d /tmp/reaper-rootfs.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT
echo "make-base-image: debootstrap bookworm from $mirror"
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
  bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || { tail -20 "$rootfs.log"; exit 1; }
rm -f "$rootfs.log"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
tar -C "$rootfs" -c . | podman import --quiet \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["python3"]' - "$IMAGE" >/dev/null
echo "make-base-image: $IMAGE built"
