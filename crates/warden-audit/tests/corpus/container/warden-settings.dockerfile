# Warden's settings in the image: WARDEN_* variables and serve flags, the last
# ENTRYPOINT and CMD only (an earlier CMD is replaced), a flag overrides the
# variable, false values are fine. A distroless :nonroot base runs as 65532
# without a USER line.
# warden-test: expect docker-warden-insecure-http@9 docker-warden-limits-off@10 docker-warden-signatures-off@11
# warden-test: expect docker-no-healthcheck@13 docker-warden-limits-off@16 docker-warden-metrics-public@16
FROM gcr.io/distroless/cc-debian12:nonroot@sha256:2d1f2a4b7d3c9e8f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f
COPY --from=ghcr.io/example/warden:1.4.0@sha256:2d1f2a4b7d3c9e8f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f /usr/local/bin/warden /usr/local/bin/warden
ENV WARDEN_INSECURE_HTTP=1
ENV WARDEN_LIMITS_DAILY_ROWS=off WARDEN_LOG_PAYLOADS=true
ENV WARDEN_MODEL_REPOSITORY=/models
CMD warden serve --insecure-http --log-payloads
HEALTHCHECK NONE
ENTRYPOINT ["/usr/local/bin/warden", "serve"]
# the arguments after "serve"
CMD ["--log-payloads=false", "--limits-per-address-rate=off", "--metrics-listen", "0.0.0.0:9464"]
