# copilot-seat-reaper: `reaper run` (default) or `reaper once`, configured by REAPER_* env.
#
#   make image                      # docker or podman; fills the labels below (podman: --format docker)
#   docker run --rm copilot-seat-reaper demo
#   docker run --read-only --env-file reaper.env -v reaper-data:/data -p 8080:8080 copilot-seat-reaper
#
# BASE_IMAGE: any Debian-based image with python3 (3.11+) and its venv module. The default
# is the official slim image; CI, which reaches no registry, passes a debootstrap-made one.
ARG BASE_IMAGE=docker.io/library/python:3.11.13-slim-bookworm

# -- build: dependencies first (cached until uv.lock changes), then the project ------------
FROM ${BASE_IMAGE} AS build
# Marks this stage's image, which a build leaves behind untagged, so it can be pruned.
LABEL io.copilot-seat-reaper.stage="build"
ARG UV_VERSION=0.13.8
# The version the image is labelled with (`make image` passes reaper/__init__.py's): checked
# against the package below, so the label cannot disagree with `reaper --version`.
ARG VERSION=""
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# The system CA bundle, so a TLS-inspecting proxy's CA (mounted at build time) is trusted.
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_SYSTEM_CERTS=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=python3 \
    UV_PROJECT_ENVIRONMENT=/opt/venv
RUN python3 -m venv /opt/uv \
 && /opt/uv/bin/pip install --no-cache-dir "uv==${UV_VERSION}"
WORKDIR /src
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    /opt/uv/bin/uv sync --frozen --no-dev --no-install-project
COPY README.md LICENSE ./
COPY reaper ./reaper
RUN --mount=type=cache,target=/root/.cache/uv \
    /opt/uv/bin/uv sync --frozen --no-dev --no-editable \
 && built="$(/opt/venv/bin/reaper --version)" \
 && echo "$built" \
 && { [ -z "$VERSION" ] || [ "$built" = "reaper $VERSION" ] || { echo "VERSION=$VERSION but the package is $built" >&2; exit 1; }; }

# -- runtime: the base, one non-root user, the virtual environment; nothing else ------------
FROM ${BASE_IMAGE} AS runtime
# Filled by `make image` and the release workflow: the package version, the git commit, the
# build time (RFC 3339) and the repository's URL.
ARG VERSION=""
ARG REVISION=""
ARG CREATED=""
ARG SOURCE=""
LABEL org.opencontainers.image.title="copilot-seat-reaper" \
      org.opencontainers.image.description="Finds idle GitHub Copilot seats, warns in Slack, and cancels them after a grace period. Dry run unless REAPER_DRY_RUN=false." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="${SOURCE}"
# Fixed IDs, matching the Helm chart's securityContext (runAsUser/runAsGroup/fsGroup 10001).
# /data belongs to group 0 too, writable by it (chmod g=u): OpenShift's restricted SCC runs
# the image as an arbitrary UID in group 0.
RUN groupadd --gid 10001 reaper \
 && useradd --uid 10001 --gid 10001 --no-create-home --no-log-init --home-dir /nonexistent \
      --shell /usr/sbin/nologin reaper \
 && mkdir -p /data \
 && chown 10001:0 /data \
 && chmod g=u /data
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    TMPDIR=/tmp \
    REAPER_STATE_URL=sqlite:////data/reaper.db \
    REAPER_HTTP_PORT=8080 \
    REAPER_LOG_FORMAT=json
# State (the SQLite database) is the only thing written, under /data; mount a volume there.
VOLUME ["/data"]
WORKDIR /data
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-m", "reaper.service.web"]
ENTRYPOINT ["reaper"]
CMD ["run"]
