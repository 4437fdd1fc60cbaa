# syntax=docker/dockerfile:1.7
# Warden hardened: toolchain and runtime pinned by digest, a locked release
# build, a distroless non-root runtime with nothing but the binary and a static
# curl for the health check, TLS and the signed model repository mounted at run
# time (read-only), and the config file as the only source of settings.
# warden-test: expect none
ARG RUST_IMAGE=rust:1.82-bookworm@sha256:d9c3c6f1264a547d84560e06ffd79ed7a799ce0bff0980b26cf10d29af888377
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:nonroot@sha256:6970a2b2cb07c68f3e15d1b5d2ba857e53da911d5d321f48a842d6b0d26984cf

FROM ${RUST_IMAGE} AS builder
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY crates/ crates/
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p warden \
 && cp target/release/warden /usr/local/bin/warden

FROM ${RUNTIME_IMAGE}
COPY --from=builder /usr/local/bin/warden /usr/local/bin/warden
COPY --from=ghcr.io/tarampampam/curl:8.10.1@sha256:3d9ed4ea77ad5b4b5ec0f7d8df3a3e7bb9b19c3ae7b22b22a08e39c4c4a4ad11 /bin/curl /usr/local/bin/curl
COPY --chown=65532:65532 deploy/warden.toml /etc/warden/warden.toml
USER 65532:65532
EXPOSE 8443
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/curl", "--fail", "--silent", "--cacert", "/etc/warden/tls/ca.crt", "https://localhost:8443/v2/health/ready"]
ENTRYPOINT ["/usr/local/bin/warden"]
CMD ["serve", "--config", "/etc/warden/warden.toml"]
