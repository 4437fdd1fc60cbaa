# Warden's settings in the image: WARDEN_* variables and serve flags, the last
# ENTRYPOINT and CMD only (an earlier CMD is replaced), false values are fine.
# A distroless :nonroot base runs as 65532 without a USER line.
# warden-test: expect docker-warden-insecure-http@8 docker-warden-limits-off@9
# warden-test: expect docker-no-healthcheck@11 docker-warden-log-payloads@14 docker-warden-limits-off@14
FROM gcr.io/distroless/cc-debian12:nonroot@sha256:2d1f2a4b7d3c9e8f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f
COPY --from=ghcr.io/example/warden:1.4.0@sha256:2d1f2a4b7d3c9e8f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f /usr/local/bin/warden /usr/local/bin/warden
ENV WARDEN_INSECURE_HTTP=1
ENV WARDEN_LIMITS_DAILY_ROWS=off WARDEN_LOG_PAYLOADS=false
CMD warden serve --insecure-http
HEALTHCHECK NONE
ENTRYPOINT ["/usr/local/bin/warden", "serve"]
# the arguments after "serve"
CMD ["--log-payloads=true", "--limits-per-address-rate=off", "--insecure-http=false", "--metrics-listen", "off"]
