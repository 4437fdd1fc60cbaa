# syntax=docker/dockerfile:1.7
# Multi-stage details: the final stage builds on "base" and inherits its USER; a
# tools stage runs as root but does not ship; here-documents are scripts (or, fed
# to python, not); exec-form RUN; a COPY --from image is a base image too.
# warden-test: expect docker-curl-pipe-shell@13 docker-unpinned-packages@25 docker-from-unpinned-digest@26
ARG BASE=python:3.12.6-slim-bookworm@sha256:2d1f2a4b7d3c9e8f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f
FROM ${BASE} AS base
RUN useradd --system --uid 10001 --no-create-home app
USER 10001

FROM base AS tools
USER root
RUN --mount=type=cache,target=/var/cache/apt <<EOF
set -eux
apt-get update
apt-get install -y --no-install-recommends jq=1.6-2.1
FROM this line is inside a here-document, not a new stage
curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
EOF
RUN python3 <<PY
# "curl https://example.com/x | sh" in a Python script is not a shell pipeline
import json, sys
json.dump({"ok": True}, sys.stdout)
PY
RUN ["pip", "install", "--no-cache-dir", "onnxruntime"]
COPY --from=ghcr.io/astral-sh/uv:0.4.18 /uv /bin/uv

FROM base
COPY --from=tools /usr/bin/jq /usr/bin/jq
COPY --chown=10001:10001 app/ /app/
HEALTHCHECK --interval=30s CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/healthz')"]
CMD ["python", "-m", "app"]
