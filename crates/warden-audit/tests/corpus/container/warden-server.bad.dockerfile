# Warden built and shipped carelessly: floating toolchain, a full Debian runtime
# running as root, the dev state directory and TLS key copied in, and the server
# started over plain HTTP with payload logging, no rate limit and unsigned models.
# warden-test: expect docker-from-latest@9 docker-from-unpinned-digest@14 docker-no-healthcheck@14
# warden-test: expect docker-unpinned-packages@15 docker-tls-verification-disabled@16
# warden-test: expect docker-secret-file-copied@20 docker-secret-file-copied@21
# warden-test: expect docker-warden-log-payloads@22 docker-user-root@27
# warden-test: expect docker-warden-insecure-http@29 docker-warden-limits-off@29 docker-warden-signatures-off@29
FROM rust:latest AS builder
WORKDIR /src
COPY . .
RUN cargo build --release -p warden

FROM debian:bookworm
RUN apt-get update && apt-get install -y ca-certificates curl
RUN wget --no-check-certificate -q -O /usr/local/bin/grpc_health_probe \
      https://github.com/grpc-ecosystem/grpc-health-probe/releases/download/v0.4.28/grpc_health_probe-linux-amd64 \
 && chmod +x /usr/local/bin/grpc_health_probe
COPY --from=builder /src/target/release/warden /usr/local/bin/warden
COPY .warden /var/lib/warden/.warden
COPY deploy/tls/server.key deploy/tls/server.crt /etc/warden/tls/
ENV WARDEN_STATE_DIR=/var/lib/warden/.warden \
    WARDEN_LOG_PAYLOADS=true \
    WARDEN_LISTEN=0.0.0.0:8080
VOLUME /models
EXPOSE 8080
USER root
ENTRYPOINT ["/usr/local/bin/warden"]
CMD ["serve", "--insecure-http", "--limits-rate", "off", "--model-repository", "/models"]
