# Secrets written into the Dockerfile and key files copied into layers, next to
# names that only look like secrets and the BuildKit secret mount that is right.
# warden-test: expect docker-secret-in-env@6 docker-secret-in-env@10 docker-secret-in-env@15
# warden-test: expect docker-secret-file-copied@18 docker-secret-file-copied@21
# warden-test: expect docker-secret-file-copied@22 docker-secret-file-copied@23
ARG REGISTRY_PASSWORD=s3cr3t-Passw0rd
FROM python:3.12.6-slim-bookworm@sha256:2d1f2a4b7d3c9e8f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f
ARG HF_TOKEN
ARG WANDB_API_KEY=""
ENV AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY \
    AWS_ACCESS_KEY_ID_FILE=/run/secrets/aws_key_id \
    AWS_DEFAULT_REGION=eu-west-1
ENV MLFLOW_TRACKING_TOKEN $MLFLOW_TOKEN
ENV HF_HUB_TOKEN_PATH=/run/secrets/hf_token MAX_NEW_TOKENS=256 TOKENIZERS_PARALLELISM=false
ENV PIP_EXTRA_INDEX_URL=https://ml-ci:Pr1vateIdx@pypi.internal.example.com/simple
ENV PIP_INDEX_URL=https://pypi.internal.example.com/simple
WORKDIR /app
COPY id_rsa /root/.ssh/id_rsa
COPY .ssh/known_hosts /root/.ssh/known_hosts
COPY certs/ca.pem /etc/ssl/certs/internal-ca.pem
COPY deploy/signing/model-signing.key /etc/warden/
COPY gcp/service-account-prod.json /secrets/
COPY .npmrc .pypirc /root/
RUN --mount=type=secret,id=netrc,target=/root/.netrc pip install --no-cache-dir --require-hashes -r requirements.lock
USER 10001
HEALTHCHECK CMD ["python", "-c", "import socket; socket.create_connection(('127.0.0.1', 8000))"]
