# Every common way of turning TLS verification off, next to the ways of trusting
# an internal CA instead.
# warden-test: expect docker-tls-verification-disabled@6 docker-tls-verification-disabled@8
# warden-test: expect docker-tls-verification-disabled@9 docker-tls-verification-disabled@10
# warden-test: expect docker-tls-verification-disabled@14 docker-tls-verification-disabled@15 docker-tls-verification-disabled@16
ARG GIT_SSL_NO_VERIFY=1
FROM node:20.17-bookworm-slim@sha256:2d1f2a4b7d3c9e8f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f AS web
ENV NODE_TLS_REJECT_UNAUTHORIZED=0
RUN npm config set strict-ssl false && npm ci
RUN curl -fsSLk https://internal.example.com/ca.crt -o /usr/local/share/ca-certificates/internal.crt
RUN NODE_TLS_REJECT_UNAUTHORIZED=1 npm run build

FROM python:3.12.6-slim-bookworm@sha256:2d1f2a4b7d3c9e8f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f
RUN git -c http.sslVerify=false clone --depth 1 https://git.internal.example.com/ml/tokenizers.git /opt/tok
RUN git config --global http.sslVerify false
RUN export PYTHONHTTPSVERIFY=0 && python /opt/tok/fetch_vocab.py
COPY internal-ca.crt /usr/local/share/ca-certificates/internal-ca.crt
RUN update-ca-certificates \
 && curl --cacert /usr/local/share/ca-certificates/internal-ca.crt -fsSLo /tmp/vocab.json https://internal.example.com/vocab.json \
 && git -c http.sslCAInfo=/usr/local/share/ca-certificates/internal-ca.crt clone https://git.internal.example.com/ml/prompts.git /opt/prompts
USER 10001
HEALTHCHECK CMD ["python", "-c", "import socket; socket.create_connection(('127.0.0.1', 8000))"]
