# syntax=docker/dockerfile:1.7
# The same model server, hardened: pinned base by digest, locked and hashed
# dependencies built in a separate stage, a non-root user, no secrets or weights
# in the image (the token is a BuildKit/runtime secret, the model a read-only
# mounted, signed repository), and a health check.
# warden-test: expect none
ARG PYTHON_IMAGE=python:3.11.9-slim-bookworm@sha256:8fb099199b9f2d70342674bd9dbccd3ed03a258f26bbd1d556822c6dfc60c317

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY requirements.lock .
RUN --mount=type=cache,target=/root/.cache/pip \
    python -m venv /opt/venv \
 && /opt/venv/bin/pip install --require-hashes -r requirements.lock

FROM ${PYTHON_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home model
COPY --from=build /opt/venv /opt/venv
COPY --chown=10001:10001 server/ /app/server/
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    TOKENIZERS_PARALLELISM=false \
    HF_TOKEN_FILE=/run/secrets/hf_token \
    MAX_TOKENS=512 \
    MODEL_DIR=/models
WORKDIR /app
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --retries=3 CMD ["curl", "-fsS", "http://127.0.0.1:8000/healthz"]
CMD ["uvicorn", "server.app:app", "--host", "0.0.0.0", "--port", "8000"]
